// fuzz_expr.cpp: libFuzzer harness for the expression parser (micrograd grad "EXPR"): any bytes
// must give a Value or an ExprError, never a crash, a hang or a sanitizer report. Each input is
// parsed with variables a, b, c; a successful parse also runs backward.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "micrograd/expr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  micrograd::TapeScope scope;  // every node of this input is reclaimed
  try {
    (void)micrograd::expression_variables(text);
    const micrograd::Variables vars{
        {"a", micrograd::Value(1.5)}, {"b", micrograd::Value(-2.0)}, {"c", micrograd::Value(0.0)}};
    micrograd::Value v = micrograd::parse_expression(text, vars);
    v.backward();
  } catch (const micrograd::ExprError&) {
  } catch (const std::exception&) {  // e.g. an unknown variable
  }
  return 0;
}
