// test_draw.cpp: to_dot against golden files (the lecture's L expression and neuron), the node
// limit, escaping, deep graphs, and render() output (magic bytes, sizes, PNG IHDR).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common.hpp"
#include "micrograd/draw.hpp"
#include "micrograd/io.hpp"

using micrograd::Value;
namespace fs = std::filesystem;

using micrograd::testing::on_fresh_tape;
using micrograd::testing::read_file;

namespace {

const fs::path kGolden = fs::path(__FILE__).parent_path() / "golden";

// Compares with tests/golden/<name>; MICROGRAD_UPDATE_GOLDEN=1 rewrites the file instead.
void expect_golden(const std::string& text, const std::string& name) {
  const fs::path p = kGolden / name;
  if (std::getenv("MICROGRAD_UPDATE_GOLDEN") != nullptr) micrograd::write_file_atomically(p, text);
  ASSERT_TRUE(fs::exists(p)) << p << " is missing (run with MICROGRAD_UPDATE_GOLDEN=1)";
  EXPECT_EQ(text, read_file(p)) << "differs from " << p;
}

// The lecture's first example: L = (a*b + c) * f.
std::string lecture_L() { return micrograd::to_dot(micrograd::testing::LectureL().L); }

// The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b).
std::string lecture_neuron() {
  Value x1(2.0, "x1"), x2(0.0, "x2"), w1(-3.0, "w1"), w2(1.0, "w2");
  Value b(6.8813735870195432, "b");
  Value x1w1 = x1 * w1, x2w2 = x2 * w2;
  x1w1.set_label("x1*w1");
  x2w2.set_label("x2*w2");
  Value s = x1w1 + x2w2;
  s.set_label("x1*w1 + x2*w2");
  Value n = s + b;
  n.set_label("n");
  Value o = n.tanh();
  o.set_label("o");
  o.backward();
  return micrograd::to_dot(o);
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

fs::path temp_dir() {
  fs::path d =
      fs::temp_directory_path() /
      ("micrograd-test-draw-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
       "-" + std::to_string(reinterpret_cast<std::uintptr_t>(&kGolden) & 0xffff));
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(ToDot, LectureExpressionMatchesGolden) {
  const std::string dot = on_fresh_tape(lecture_L);
  expect_golden(dot, "lecture_L.dot");
  // The lecture's numbers are in it.
  EXPECT_NE(dot.find("{ a | data 2.0000 | grad 6.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ b | data -3.0000 | grad -4.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ L | data -8.0000 | grad 1.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("rankdir=LR"), std::string::npos);
}

TEST(ToDot, LectureNeuronMatchesGolden) {
  const std::string dot = on_fresh_tape(lecture_neuron);
  expect_golden(dot, "lecture_neuron.dot");
  EXPECT_NE(dot.find("{ o | data 0.7071 | grad 1.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ x1 | data 2.0000 | grad -1.5000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ w1 | data -3.0000 | grad 1.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("[label=\"tanh\"]"), std::string::npos);
}

TEST(ToDot, SameTextOnEveryRun) { EXPECT_EQ(on_fresh_tape(lecture_L), on_fresh_tape(lecture_L)); }

TEST(ToDot, OpNodesAndEdges) {
  Value a(3.0, "a");
  Value y = pow(a, 2.0);  // the exponent is a constant, not a child
  Value r = relu(y) + a;
  const std::string dot = micrograd::to_dot(r);
  const std::string ida = "n" + std::to_string(a.id());
  const std::string idy = "n" + std::to_string(y.id());
  EXPECT_NE(dot.find(idy + "op [label=\"**2\"]"), std::string::npos) << dot;
  EXPECT_NE(dot.find(ida + " -> " + idy + "op;"), std::string::npos);
  EXPECT_NE(dot.find("[label=\"ReLU\"]"), std::string::npos);
  // 4 value nodes (a, a**2, relu, the sum) and no node for the constant exponent 2.0.
  std::size_t records = 0;
  for (std::size_t p = dot.find("shape=record"); p != std::string::npos;
       p = dot.find("shape=record", p + 1))
    ++records;
  EXPECT_EQ(records, 4u);
  EXPECT_EQ(dot.find("data 2.0000"), std::string::npos);
}

TEST(ToDot, SameOperandTwiceDrawsOneEdge) {
  Value a(1.5, "a");
  Value s = a + a;
  const std::string dot = micrograd::to_dot(s);
  const std::string edge = "n" + std::to_string(a.id()) + " -> n" + std::to_string(s.id()) + "op;";
  EXPECT_EQ(dot.find(edge), dot.rfind(edge));
  EXPECT_NE(dot.find(edge), std::string::npos);
}

TEST(ToDot, LinearNodeDrawsAnEdgePerDistinctOperand) {
  const std::string dot = on_fresh_tape([] {
    std::vector<Value> w{Value(2.0, "w0"), Value(3.0, "w1")};
    Value x(5.0, "x");
    Value y = micrograd::linear(w, {x, x}, Value(1.0, "b"));  // x twice: one edge
    return micrograd::to_dot(y);
  });
  EXPECT_NE(dot.find("n4 [shape=record, label=\"{  | data 26.0000 | grad 0.0000 }\"];"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("n4op [label=\"linear\"];"), std::string::npos) << dot;
  for (const char* edge : {"n3 -> n4op;", "n0 -> n4op;", "n2 -> n4op;", "n1 -> n4op;"})
    EXPECT_NE(dot.find(edge), std::string::npos) << edge << "\n" << dot;
  EXPECT_EQ(dot.find("n2 -> n4op;"), dot.rfind("n2 -> n4op;"));
}

TEST(ToDot, DenseNodeDrawsItsBiasWeightsAndInputs) {
  const std::string dot = on_fresh_tape([] {
    std::vector<Value> p{Value(2.0, "w0"), Value(-3.0, "w1"), Value(1.0, "b")};    // nodes 0..2
    std::vector<Value> x{Value(5.0, "x0"), Value(1.0, "x1")};                      // nodes 3, 4
    const Value y = micrograd::dense(micrograd::Op::DenseReLU, p[0], 1, x[0], 2);  // node 5
    y.backward();
    return micrograd::to_dot(y);
  });
  EXPECT_NE(dot.find("n5 [shape=record, label=\"{  | data 8.0000 | grad 1.0000 }\"];"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("n5op [label=\"ReLU(linear)\"];"), std::string::npos) << dot;
  for (const char* edge :
       {"n0 -> n5op;", "n1 -> n5op;", "n2 -> n5op;", "n3 -> n5op;", "n4 -> n5op;"})
    EXPECT_NE(dot.find(edge), std::string::npos) << edge << "\n" << dot;
  EXPECT_NE(dot.find("n0 [shape=record, label=\"{ w0 | data 2.0000 | grad 5.0000 }\"];"),
            std::string::npos)
      << dot;
}

TEST(ToDot, LabelsAreEscaped) {
  Value a(1.0, "x{1}|<y> \"q\" \\");
  const std::string dot = micrograd::to_dot(a * 2.0);
  EXPECT_NE(dot.find("{ x\\{1\\}\\|\\<y\\> \\\"q\\\" \\\\ | data 1.0000"), std::string::npos)
      << dot;
}

TEST(ToDot, RankdirOption) {
  Value a(1.0, "a");
  micrograd::DotOptions o;
  o.rankdir = "TB";
  EXPECT_NE(micrograd::to_dot(a, o).find("rankdir=TB"), std::string::npos);
}

TEST(ToDot, RefusesGraphsOverTheLimit) {
  micrograd::TapeScope scope;
  Value x(1.0, "x");
  Value s = x;
  for (int i = 0; i < 3000; ++i) s = s + 1.0;
  try {
    (void)micrograd::to_dot(s);
    FAIL() << "expected std::length_error";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("max_nodes"), std::string::npos) << e.what();
  }
  micrograd::DotOptions o;
  o.max_nodes = 10000;
  EXPECT_NO_THROW((void)micrograd::to_dot(s, o));
}

TEST(ToDot, MillionDeepChainDoesNotRecurse) {
  micrograd::TapeScope scope;
  Value s(0.5, "x");
  for (int i = 0; i < 1'000'000; ++i) s = tanh(s);
  micrograd::DotOptions o;
  o.max_nodes = 2'000'000;
  const std::string dot = micrograd::to_dot(s, o);
  EXPECT_GT(dot.size(), 1'000'000u * 40);
  EXPECT_THROW((void)micrograd::to_dot(s), std::length_error);  // default limit: stops early
}

TEST(ToDot, StaleRootThrows) {
  Value v;
  EXPECT_THROW((void)micrograd::to_dot(v), std::logic_error);
}

TEST(Render, DotFileIsTheText) {
  const fs::path dir = temp_dir();
  const std::string dot = on_fresh_tape(lecture_L);
  micrograd::render(dot, (dir / "g.dot").string());
  EXPECT_EQ(read_file(dir / "g.dot"), dot);
  fs::remove_all(dir);
}

TEST(Render, SvgAndPng) {
  if (!micrograd::graphviz_available()) GTEST_SKIP() << "graphviz not installed";
  const fs::path dir = temp_dir();
  const std::string dot = on_fresh_tape(lecture_neuron);

  micrograd::render(dot, (dir / "g.svg").string());
  const std::string svg = read_file(dir / "g.svg");
  EXPECT_TRUE(svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0) << svg.substr(0, 40);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("tanh"), std::string::npos);
  EXPECT_GT(svg.size(), 2000u);

  micrograd::render(dot, (dir / "g.png").string());
  const std::string png = read_file(dir / "g.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  const std::uint32_t width = be32(png, 16), height = be32(png, 20);
  EXPECT_GT(width, 300u);  // a left-to-right picture of 7 values and 5 ops
  EXPECT_LT(width, 5000u);
  EXPECT_GT(height, 50u);
  EXPECT_LT(height, 3000u);
  EXPECT_GT(width, height);  // rankdir=LR: wider than tall

  micrograd::render(dot, (dir / "g.pdf").string());
  EXPECT_EQ(read_file(dir / "g.pdf").substr(0, 5), "%PDF-");

  // No temporary files are left behind.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 3);
  fs::remove_all(dir);
}

TEST(Render, UnknownExtensionIsRefused) {
  EXPECT_THROW(micrograd::render("digraph{}", "/tmp/x.jpeg"), std::invalid_argument);
  EXPECT_THROW(micrograd::render("digraph{}", "/tmp/noext"), std::invalid_argument);
}

TEST(Render, BadDotTextIsAnError) {
  if (!micrograd::graphviz_available()) GTEST_SKIP() << "graphviz not installed";
  const fs::path dir = temp_dir();
  EXPECT_THROW(micrograd::render("digraph { a -> ", (dir / "bad.svg").string()),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(dir / "bad.svg"));
  fs::remove_all(dir);
}

// Big graphs get a bounded layout (a*b + a*b + ... with 100 terms: minutes in graphviz before);
// small ones are laid out as before.
TEST(ToDot, BigGraphsGetABoundedLayout) {
  const std::string dot = on_fresh_tape([] {
    micrograd::Value a(2.0), b(3.0);
    micrograd::Value s = a * b;
    for (int k = 1; k < 100; ++k) s = s + a * b;
    return micrograd::to_dot(s);
  });
  EXPECT_NE(dot.find("graph [rankdir=LR, nslimit=1, nslimit1=1, mclimit=0.01, splines=line];"),
            std::string::npos);
  EXPECT_EQ(on_fresh_tape(lecture_L).find("nslimit"), std::string::npos);
}
