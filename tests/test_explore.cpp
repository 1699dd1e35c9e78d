// Tests for explore.hpp: backward node by node with the chain rule's numbers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "micrograd/explore.hpp"
#include "micrograd/expr.hpp"
#include "micrograd/nn.hpp"

namespace mg = micrograd;

namespace {

// The lecture's expression, with its intermediate labels.
struct LectureL {
  mg::Value a{2.0, "a"}, b{-3.0, "b"}, c{10.0, "c"};
  mg::Value e = a * b;
  mg::Value d = e + c;
  mg::Value f{-2.0, "f"};
  mg::Value L = d * f;
  LectureL() {
    e.set_label("e");
    d.set_label("d");
    L.set_label("L");
  }
};

}  // namespace

TEST(Explore, LectureExpressionStepByStep) {
  LectureL g;
  const mg::Walkthrough w = mg::walk_backward(g.L);
  EXPECT_EQ(w.root, g.L.id());
  ASSERT_EQ(w.nodes.size(), 7u);
  // Step 0: the root; then L, d, e (the non-leaves, last made first).
  ASSERT_EQ(w.steps.size(), 4u);
  EXPECT_EQ(w.steps[0].node, g.L.id());
  EXPECT_TRUE(w.steps[0].terms.empty());
  EXPECT_EQ(w.steps[1].node, g.L.id());
  ASSERT_EQ(w.steps[1].terms.size(), 2u);  // dL/dd = f = -2, dL/df = d = 4
  EXPECT_EQ(w.steps[1].terms[0].child, g.d.id());
  EXPECT_EQ(w.steps[1].terms[0].local, -2.0);
  EXPECT_EQ(w.steps[1].terms[0].grad_after, -2.0);
  EXPECT_EQ(w.steps[1].terms[1].child, g.f.id());
  EXPECT_EQ(w.steps[1].terms[1].grad_after, 4.0);
  EXPECT_EQ(w.steps[2].node, g.d.id());  // + passes -2 to e and c
  EXPECT_EQ(w.steps[2].terms[0].grad_after, -2.0);
  EXPECT_EQ(w.steps[2].terms[1].grad_after, -2.0);
  const mg::ChainTerm& da = w.steps[3].terms[0];  // dL/da = dL/de * de/da = -2 * -3 = 6
  EXPECT_EQ(da.child, g.a.id());
  EXPECT_EQ(da.upstream, -2.0);
  EXPECT_EQ(da.local, -3.0);
  EXPECT_EQ(da.contribution, 6.0);
  EXPECT_EQ(g.a.grad(), 6.0);
  EXPECT_EQ(g.b.grad(), -4.0);
  EXPECT_EQ(g.L.data(), -8.0);
}

TEST(Explore, GradsAreBackwardsBitForBit) {
  for (const char* text : {"tanh(x1*w1 + x2*w2 + b)", "a*a + a/b - exp(b)**2", "relu(a - b) * 3",
                           "sigmoid(a) * log(b*b + 1)", "2**a + a**b + 1/(a+b)"}) {
    mg::Variables v1{{"x1", mg::Value(2.0)}, {"x2", mg::Value(0.0)}, {"w1", mg::Value(-3.0)},
                     {"w2", mg::Value(1.0)}, {"b", mg::Value(1.5)},  {"a", mg::Value(0.7)}};
    mg::Variables v2{{"x1", mg::Value(2.0)}, {"x2", mg::Value(0.0)}, {"w1", mg::Value(-3.0)},
                     {"w2", mg::Value(1.0)}, {"b", mg::Value(1.5)},  {"a", mg::Value(0.7)}};
    const mg::Value r1 = mg::parse_expression(text, v1);
    const mg::Value r2 = mg::parse_expression(text, v2);
    mg::walk_backward(r1);
    r2.backward();
    for (const auto& [name, value] : v1)
      EXPECT_EQ(value.grad(), v2.at(name).grad()) << text << name;
  }
}

TEST(Explore, AChildUsedTwiceShowsItsGradAfterEachTerm) {
  mg::Value a(3.0, "a");
  const mg::Value y = a * a;  // dy/da = 3 + 3
  const mg::Walkthrough w = mg::walk_backward(y);
  ASSERT_EQ(w.steps[1].terms.size(), 2u);
  EXPECT_EQ(w.steps[1].terms[0].grad_after, 3.0);
  EXPECT_EQ(w.steps[1].terms[1].grad_after, 6.0);
}

TEST(Explore, ANodeWithZeroGradPassesNothing) {
  mg::Value a(-1.0, "a"), b(2.0, "b");
  const mg::Value y = mg::relu(a * b);  // relu is off: a*b gets grad 0
  const mg::Walkthrough w = mg::walk_backward(y);
  ASSERT_EQ(w.steps.size(), 3u);
  EXPECT_EQ(w.steps[1].terms.size(), 1u);
  EXPECT_TRUE(w.steps[2].terms.empty());
  EXPECT_EQ(a.grad(), 0.0);
}

TEST(Explore, RunningItAgainGivesTheSameNumbers) {
  LectureL g;
  const std::string first = mg::walkthrough_json(g.L);
  EXPECT_EQ(mg::walkthrough_json(g.L), first);  // grads reset each time, not accumulated
  EXPECT_EQ(g.a.grad(), 6.0);
}

TEST(Explore, JsonHasTheGraphAndEveryNumber) {
  LectureL g;
  const auto j = nlohmann::json::parse(mg::walkthrough_json(g.L));
  EXPECT_EQ(j["root"], 6);  // ids are positions in creation order: a b c e d f L
  EXPECT_NE(j["dot"].get<std::string>().find("{ a | data 2.0000 | grad 0.0000 }"),
            std::string::npos);  // drawn before the first step
  ASSERT_EQ(j["nodes"].size(), 7u);
  EXPECT_EQ(j["nodes"][0]["label"], "a");
  EXPECT_EQ(j["nodes"][0]["grad"], 6.0);
  EXPECT_EQ(j["nodes"][6]["op"], "*");
  EXPECT_EQ(j["nodes"][6]["data"], -8.0);
  EXPECT_EQ(j["nodes"][6]["children"], nlohmann::json::array({4, 5}));
  EXPECT_NE(j["dot"].get<std::string>().find("n4 -> n6op;"), std::string::npos);
  EXPECT_EQ(j["steps"][1]["node"], 6);
  EXPECT_EQ(j["steps"][3]["terms"][0]["child"], 0);
  EXPECT_EQ(j["steps"][3]["terms"][0]["contribution"], 6.0);
  EXPECT_EQ(j["steps"][3]["terms"][1]["grad"], -4.0);
}

TEST(Explore, TheSameTextWhereverTheGraphIsOnTheTape) {
  const std::vector<std::pair<std::string, double>> values{{"a", 2.0}, {"b", -3.0}};
  const std::string first = mg::statements_walkthrough_json("e = a*b; L = e*e + a", values);
  mg::Value padding[5] = {1.0, 2.0, 3.0, 4.0, 5.0};  // the tape is not where it was
  EXPECT_EQ(mg::statements_walkthrough_json("e = a*b; L = e*e + a", values), first);
  EXPECT_EQ(padding[4].data(), 5.0);
  const auto j = nlohmann::json::parse(first);
  EXPECT_EQ(j["nodes"][0]["grad"], 1.0 + 2 * -6.0 * -3.0);  // dL/da = 2e*b + 1 = 37
  EXPECT_THROW(mg::statements_walkthrough_json("e = a*", values), mg::ExprError);
}

TEST(Explore, NonFiniteNumbersAreStrings) {
  mg::Value a(0.0, "a");
  const mg::Value y = mg::log(a);  // -inf, and d/da = 1/0 = inf
  const auto j = nlohmann::json::parse(mg::walkthrough_json(y));
  EXPECT_EQ(j["nodes"][1]["data"], "-inf");
  EXPECT_EQ(j["nodes"][0]["grad"], "inf");
}

TEST(Explore, RefusesGraphsItCannotExplain) {
  mg::Value a(1.0, "a");
  const mg::Value h = mg::hook_node("mine", 2.0, std::vector<mg::Value>{a});
  EXPECT_THROW(mg::walk_backward(h), std::invalid_argument);
  EXPECT_THROW(mg::walk_backward(mg::Value()), std::logic_error);
}

TEST(Explore, UnlabelledNodesAreNamedOnThePageOnly) {
  mg::Value a(2.0, "a"), b(-3.0, "b");
  const mg::Value e = a * b;
  const mg::Value y = e + 1.0;  // 1.0 becomes an unlabelled leaf, made after e
  const auto j = nlohmann::json::parse(mg::walkthrough_json(y));
  ASSERT_EQ(j["nodes"].size(), 5u);
  EXPECT_EQ(j["nodes"][2]["name"], "v1");  // e
  EXPECT_EQ(j["nodes"][3]["name"], "v2");  // the constant
  EXPECT_EQ(j["nodes"][4]["name"], "out");
  EXPECT_EQ(j["nodes"][4]["label"], "");
  EXPECT_EQ(j["nodes"][0]["name"], "a");
  const std::string dot = j["dot"];
  EXPECT_NE(dot.find("{ v1 | data -6.0000 | grad 0.0000 }"), std::string::npos) << dot;
  EXPECT_NE(dot.find("{ out | data -5.0000 | grad 0.0000 }"), std::string::npos) << dot;
  EXPECT_EQ(e.label(), "");  // the graph's own labels are untouched
  EXPECT_EQ(y.label(), "");
  EXPECT_EQ(a.label(), "a");
}

TEST(Explore, StatementsRebuildTheGraphNodeForNode) {
  // The lecture's neuron with its labels (one of them, 'x1*w1', is not a name), and the derived
  // ops micrograd builds from primitives (-, /, unary minus), a power, exp and a constant.
  mg::Value x1(2.0, "x1"), x2(0.0, "x2"), w1(-3.0, "w1"), w2(1.0, "w2");
  mg::Value b(6.8813735870195432, "b");
  mg::Value x1w1 = x1 * w1;
  x1w1.set_label("x1*w1");
  mg::Value n = x1w1 + x2 * w2 + b;
  n.set_label("n");
  mg::Value o = mg::tanh(n) - x2 / (w2 + 1.0) + (-w1) * mg::exp(w2) + mg::pow(x1, 3.0) * 0.5;
  const mg::Statements s = mg::to_statements(o);
  // 5 inputs and 4 constants: -1 (of a - b), 1.0, -1 (of -w1), 0.5 (an exponent is not a child)
  ASSERT_EQ(s.variables.size(), 5u + 4u);
  EXPECT_EQ(s.variables[0].first, "x1");
  EXPECT_NE(s.text.find("n = "), std::string::npos) << s.text;
  EXPECT_NE(s.text.find("tanh(n)"), std::string::npos) << s.text;
  EXPECT_NE(s.text.find("**3"), std::string::npos) << s.text;
  EXPECT_NE(s.text.find("**(-1)"), std::string::npos) << s.text;
  EXPECT_EQ(s.text.rfind("out = ", 0) == std::string::npos, true);
  EXPECT_NE(s.text.find("\nout = "), std::string::npos) << s.text;  // the root, last

  o.backward();
  mg::Variables vars;
  for (const auto& [name, value] : s.variables) vars.emplace(name, mg::Value(value, name));
  const mg::Value rebuilt = mg::parse_statements(s.text, vars);
  rebuilt.backward();
  EXPECT_EQ(rebuilt.data(), o.data());
  EXPECT_EQ(vars.at("x1").grad(), x1.grad());
  EXPECT_EQ(vars.at("x2").grad(), x2.grad());
  EXPECT_EQ(vars.at("w1").grad(), w1.grad());
  EXPECT_EQ(vars.at("w2").grad(), w2.grad());
  EXPECT_EQ(vars.at("b").grad(), b.grad());
  EXPECT_EQ(vars.at("n").grad(), n.grad());
  EXPECT_EQ(mg::walk_backward(rebuilt).steps.size(), mg::walk_backward(o).steps.size());
}

TEST(Explore, StatementsNamesAreUniqueAndLeavesAlone) {
  mg::Value a(1.5, "a"), a2(2.5, "a"), t(1.0, "tanh");  // a label twice; a function's name
  const mg::Value y = a * a2 + t;
  const mg::Statements s = mg::to_statements(y);
  ASSERT_EQ(s.variables.size(), 3u);
  EXPECT_EQ(s.variables[0], (std::pair<std::string, double>{"a", 1.5}));
  EXPECT_EQ(s.variables[1], (std::pair<std::string, double>{"a_2", 2.5}));
  EXPECT_EQ(s.variables[2].first, "v1");
  EXPECT_EQ(s.text, "v2 = a*a_2\nout = v2 + v1\n");
  EXPECT_EQ(mg::to_statements(a).text, "a\n");
  mg::Value h = mg::hook_node("mine", 2.0, std::vector<mg::Value>{a});
  EXPECT_THROW(mg::to_statements(h), std::invalid_argument);
  const mg::nn::MLP net(2, {2, 1});
  const std::vector<mg::Value> x{mg::Value(1.0), mg::Value(2.0)};
  try {
    mg::to_statements(net.score(x));  // fused neurons by default
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("fused=False"), std::string::npos) << e.what();
  }
  const mg::Statements unfused = mg::to_statements(net.forward(x, false)[0]);
  EXPECT_NE(unfused.text.find("relu("), std::string::npos);
}
