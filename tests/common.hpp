// common.hpp: what several test files share: the lecture's and micrograd's README expressions,
// running code on a new thread's empty tape, reading a file, catching an error message.
#pragma once

#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>

#include "micrograd/value.hpp"

namespace micrograd::testing {

// micrograd's README example, written exactly as there: g = 2421/98 at a = -4, b = 2.
inline Value micrograd_readme_g(const Value& a, const Value& b) {
  Value c = a + b;
  Value d = a * b + pow(b, 3);
  c += c + 1;
  c += 1 + c + (-a);
  d += d * 2 + (b + a).relu();
  d += 3 * d + (b - a).relu();
  Value e = c - d;
  Value f = pow(e, 2);
  Value g = f / 2.0;
  g += 10.0 / f;
  return g;
}

// The lecture's first graph, L = (a*b + c) * f, with its labels, after L.backward().
struct LectureL {
  Value a{2.0, "a"}, b{-3.0, "b"}, c{10.0, "c"}, e, d, f, L;
  LectureL() {  // in the lecture's order of creation (node ids: a0 b1 c2 e3 d4 f5 L6)
    e = a * b;
    e.set_label("e");
    d = e + c;
    d.set_label("d");
    f = Value(-2.0, "f");
    L = d * f;
    L.set_label("L");
    L.backward();
  }
};

// Runs body() on a new thread, whose tape starts empty (stable node ids; collect() there drops
// nothing another test left behind); returns its result and rethrows what it threw.
template <class F>
auto on_fresh_tape(F body) -> decltype(body()) {
  std::exception_ptr error;
  using R = decltype(body());
  if constexpr (std::is_void_v<R>) {
    std::thread([&] {
      try {
        body();
      } catch (...) {
        error = std::current_exception();
      }
    }).join();
    if (error) std::rethrow_exception(error);
  } else {
    R out{};
    std::thread([&] {
      try {
        out = body();
      } catch (...) {
        error = std::current_exception();
      }
    }).join();
    if (error) std::rethrow_exception(error);
    return out;
  }
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The what() of the E that f throws, or a note that it threw none.
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception of the expected type thrown)";
}

}  // namespace micrograd::testing
