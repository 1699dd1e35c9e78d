// lecture.cpp: the lecture's first expression, its neuron and micrograd's README example, with
// every value and gradient printed, and the neuron's graph drawn by graphviz (lecture_neuron.svg).
// Run: build/examples/lecture [OUTPUT.svg|.png|.dot]
#include <cstdio>
#include <iostream>
#include <string>

#include "micrograd/micrograd.hpp"

using micrograd::Value;

int main(int argc, char** argv) {
  // ---- L = (a*b + c) * f, the lecture's first graph
  Value a(2.0, "a"), b(-3.0, "b"), c(10.0, "c"), f(-2.0, "f");
  Value e = a * b;
  e.set_label("e");
  Value d = e + c;
  d.set_label("d");
  Value L = d * f;
  L.set_label("L");
  L.backward();
  std::cout << "L = (a*b + c) * f\n";
  for (const Value& v : {a, b, c, e, d, f, L}) std::cout << "  " << v.label() << ": " << v << "\n";

  // ---- the lecture's neuron: o = tanh(x1*w1 + x2*w2 + b)
  Value x1(2.0, "x1"), x2(0.0, "x2"), w1(-3.0, "w1"), w2(1.0, "w2");
  Value bias(6.8813735870195432, "b");
  Value n = x1 * w1 + x2 * w2 + bias;
  n.set_label("n");
  Value o = n.tanh();
  o.set_label("o");
  o.backward();
  std::cout << "\no = tanh(x1*w1 + x2*w2 + b)\n";
  for (const Value& v : {x1, w1, x2, w2, bias, n, o})
    std::cout << "  " << v.label() << ": " << v << "\n";

  const std::string graph = argc > 1 ? argv[1] : "lecture_neuron.svg";
  try {
    micrograd::draw_dot(o, graph);
    std::cout << "  graph written to " << graph << "\n";
  } catch (const std::exception& e) {  // graphviz missing: the .dot text is still written
    std::cout << "  graph not rendered: " << e.what() << "\n";
  }

  // ---- micrograd's README example
  Value ra(-4.0, "a"), rb(2.0, "b");
  Value rc = ra + rb;
  Value rd = ra * rb + pow(rb, 3);
  rc += rc + 1;
  rc += 1 + rc + (-ra);
  rd += rd * 2 + (rb + ra).relu();
  rd += 3 * rd + (rb - ra).relu();
  Value re = rc - rd;
  Value rf = pow(re, 2);
  Value g = rf / 2.0;
  g += 10.0 / rf;
  g.backward();
  std::printf("\nmicrograd README example\n  g = %.4f\n  dg/da = %.4f\n  dg/db = %.4f\n", g.data(),
              ra.grad(), rb.grad());
  return 0;
}
