// The README's example, built against the installed package: prints the lecture's L and grads.
#include <iostream>

#include "micrograd/micrograd.hpp"

int main() {
  micrograd::Value a(2.0, "a"), b(-3.0, "b"), c(10.0, "c"), f(-2.0, "f");
  micrograd::Value L = (a * b + c) * f;
  L.backward();
  std::cout << L << "\n" << a << "\n" << b << "\n";
  return a.grad() == 6.0 && b.grad() == -4.0 ? 0 : 1;
}
