// fuzz_csv.cpp: libFuzzer harness for the CSV reader (micrograd train --dataset csv:PATH): any
// bytes must give a data set or a "name:line:column: what" error, never a crash, unbounded
// memory or a sanitizer report. The first byte picks the label column (-2 .. 1).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "micrograd/data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int label_column = static_cast<int>(data[0] % 4) - 2;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    const micrograd::Dataset d = micrograd::read_csv(in, "fuzz.csv", label_column);
    if (d.X.size() != d.y.size()) __builtin_trap();  // every row has its label
    if (d.num_classes < 2) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
