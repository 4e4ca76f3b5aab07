// The citizen site's parsed templates (cloud-hub/portal/src/templates.h) against mstch itself:
// every page of the site in the layout, rendered with both over many generated contexts (strings
// with every character the escaping replaces, empty and filled arrays, nested maps, false/true,
// missing keys) must come out byte-identical; mustache corner cases the same; the constructs the
// site refuses (unescaped output, delimiter changes, unbalanced sections) throw when parsed
// (RSV-1, RSV-2: the pages the residents see do not change).
#include <catch2/catch.hpp>

#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <mstch/mstch.hpp>

#include "assets.h"
#include "templates.h"

namespace d = madoguchi::portal::detail;

namespace {

std::string mstch_render(std::string_view page, const mstch::node& ctx) {
  std::string layout;
  std::map<std::string, std::string> partials;
  for (const auto& t : d::templates()) {
    if (t.name == "layout") {
      layout = std::string(t.text);
    } else {
      partials.emplace(std::string(t.name), std::string(t.text));
    }
  }
  partials["content"] = partials.at(std::string(page));
  return mstch::render(layout, ctx, partials);
}

// Every name used in a tag of the site's templates.
std::vector<std::string> tag_names() {
  std::set<std::string> names;
  const std::regex tag(R"(\{\{[#^/>]?\s*([A-Za-z_][A-Za-z_0-9]*)\s*\}\})");
  for (const auto& t : d::templates()) {
    const std::string text(t.text);
    for (std::sregex_iterator it(text.begin(), text.end(), tag), end; it != end; ++it) names.insert((*it)[1]);
  }
  return {names.begin(), names.end()};
}

const std::vector<std::string> kStrings = {"",
                                           "x",
                                           "a&b<c>d\"e'f/g",
                                           "日本語の文字列 / 残り3",
                                           " ",
                                           "\n",
                                           "{{not_a_tag}}",
                                           "https://example.jp/a?b=1&c=2"};

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  mstch::node value(const std::vector<std::string>& names, int depth) {
    switch (pick(depth > 0 ? 8 : 5)) {
      case 0: return kStrings[pick(kStrings.size())];
      case 1: return kStrings[pick(kStrings.size())];
      case 2: return pick(2) == 1;
      case 3: return mstch::array{};
      case 4: return std::string("残り") + std::to_string(pick(10));
      case 5: return context(names, depth - 1, false);
      case 6: {
        mstch::array a;
        for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) a.push_back(context(names, depth - 1, false));
        return a;
      }
      default: {
        mstch::array a;
        for (std::size_t i = 0, n = pick(4); i < n; ++i) a.push_back(kStrings[pick(kStrings.size())]);
        return a;
      }
    }
  }

  // The top level has most names; nested maps (section items) a handful each, the rest found
  // further out or nowhere.
  mstch::map context(const std::vector<std::string>& names, int depth, bool top = true) {
    mstch::map m;
    for (const auto& n : names) {
      if (pick(top ? 4 : 12) != 0) {
        if (!top) continue;
      } else if (top) {
        continue;  // missing at the top
      }
      m.emplace(n, value(names, depth));
    }
    return m;
  }

  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

 private:
  std::mt19937 rng_;
};

std::string ours(const d::CompiledTemplates& t, std::string_view name, const mstch::node& ctx,
                 std::string_view content = {}) {
  return t.render(name, {&ctx}, content);
}

}  // namespace

TEST_CASE("portal templates: every page renders byte-identical to mstch over generated contexts",
          "[portal][templates]") {
  const d::CompiledTemplates compiled(d::templates());
  const auto names = tag_names();
  REQUIRE(names.size() > 50);
  std::vector<std::string> pages;
  for (const auto& t : d::templates()) pages.emplace_back(t.name);
  REQUIRE(pages.size() == 19);

  Generator gen(20261122);
  int compared = 0, non_trivial = 0;
  for (const auto& page : pages) {
    if (page == "layout") continue;
    // Everything a string with characters to escape, everything true, everything empty.
    mstch::map all_strings, all_true, all_false;
    for (const auto& n : names) {
      all_strings.emplace(n, std::string("a&b<c>d\"e'f/g 日本"));
      all_true.emplace(n, true);
      all_false.emplace(n, false);
    }
    for (const mstch::node& ctx : {mstch::node(all_strings), mstch::node(all_true), mstch::node(all_false),
                                   mstch::node(mstch::map{})}) {
      REQUIRE(ours(compiled, "layout", ctx, page) == mstch_render(page, ctx));
      ++compared;
    }
    for (int i = 0; i < 150; ++i) {
      const mstch::node ctx = gen.context(names, 3);
      const std::string expected = mstch_render(page, ctx);
      INFO("page " << page << ", context " << i);
      REQUIRE(ours(compiled, "layout", ctx, page) == expected);
      ++compared;
      // Generated text came out (escaped): the context reached the page, not only the layout.
      if (expected.find("&#x2F;") != std::string::npos || expected.find("残り") != std::string::npos) ++non_trivial;
    }
  }
  CHECK(compared == 18 * 154);
  CHECK(non_trivial > 18 * 100);
}

TEST_CASE("portal templates: base and page context stacked like one merged map", "[portal][templates]") {
  const d::CompiledTemplates compiled(d::templates());
  mstch::map base{{"service_name", std::string("予約")}, {"municipality_name", std::string("〇〇市")},
                  {"home_url", std::string("/")}, {"contact_phone", std::string("03-0000-0000")}};
  mstch::map page{{"heading", std::string("見出し")}, {"contact_phone", std::string("")},
                  {"paragraphs", mstch::array{std::string("<p>"), std::string("b")}}};
  mstch::map merged = page;
  for (const auto& [k, v] : base) merged.emplace(k, v);
  const mstch::node b(base), p(page);
  REQUIRE(compiled.render("layout", {&b, &p}, "message") == mstch_render("message", merged));
}

TEST_CASE("portal templates: mustache corner cases as mstch renders them", "[portal][templates]") {
  const std::vector<std::pair<std::string, mstch::node>> cases = {
      {"a\n  {{#s}}  \n  b{{x}}\n{{/s}}\nc", mstch::map{{"s", true}, {"x", std::string("<&>")}}},
      {"{{#s}}\n{{.}}\n{{/s}}", mstch::map{{"s", mstch::array{std::string("a/b"), std::string("")}}}},
      {"{{^s}}{{.}}none{{/s}}", mstch::map{{"s", mstch::array{}}}},
      {"{{#a}}{{#b}}{{c}}{{x}}{{/b}}{{/a}}",
       mstch::map{{"x", std::string("out")},
                  {"a", mstch::map{{"b", mstch::array{mstch::map{{"c", std::string("1")}}, mstch::map{}}}}}}},
      {"{{a.b}}|{{a.c}}|{{#a.b}}[{{.}}]{{/a.b}}", mstch::map{{"a", mstch::map{{"b", std::string("x'y")}}}}},
      {"{{n}} {{f}} {{t}} {{z}} {{#n}}n{{/n}}{{#z}}z{{/z}}", mstch::map{{"n", 3}, {"f", 1.5}, {"t", true}, {"z", 0}}},
      {"x {{! a comment }} y\n{{! standalone }}\nz", mstch::map{}},
      {"{{> missing}}|{{>p}}\n", mstch::map{{"v", std::string("q")}}},
      {"  {{#s}}\n\t{{/s}}\t\n{{#s}}x{{/s}}", mstch::map{{"s", true}}},
      {"{{#s}}{{s}}{{/s}}{{^s}}-{{/s}}", mstch::map{{"s", std::string("str")}}},
      {"line\n{{#s}}\n{{/s}}", mstch::map{{"s", false}}},
  };
  for (const auto& [text, ctx] : cases) {
    INFO(text);
    const d::EmbeddedTemplate ts[] = {{"t", text}, {"p", "[{{v}}]\n{{#v}}\n{{/v}}"}};
    const d::CompiledTemplates compiled(ts);
    CHECK(ours(compiled, "t", ctx) == mstch::render(text, ctx, {{"p", "[{{v}}]\n{{#v}}\n{{/v}}"}}));
  }
}

TEST_CASE("portal templates: html_escape replaces what mstch replaces, nothing else", "[portal][templates]") {
  std::string all;
  for (int ch = 1; ch < 128; ++ch) all += static_cast<char>(ch);
  all += "日本";
  CHECK(d::html_escape(all) == mstch::render("{{x}}", mstch::map{{"x", all}}));
  CHECK(d::html_escape("a&b<c>d\"e'f/g") == "a&amp;b&lt;c&gt;d&quot;e&#39;f&#x2F;g");
  std::string appended = "<kept>";
  d::html_escape("<", appended);
  CHECK(appended == "<kept>&lt;");
}

TEST_CASE("portal templates: constructs the site never uses are refused when parsed", "[portal][templates]") {
  for (std::string_view bad : {"{{{x}}}", "{{&x}}", "{{=<% %>=}}", "{{#a}}x", "{{#a}}{{/b}}", "x{{/a}}",
                               "{{}}", "a\n  {{> p}}\nb"}) {
    INFO(bad);
    const d::EmbeddedTemplate ts[] = {{"t", bad}};
    CHECK_THROWS_AS(d::CompiledTemplates(ts), std::invalid_argument);
  }
  const d::CompiledTemplates ok(d::templates());
  CHECK(ok.has("layout"));
  CHECK(ok.has("slot"));
  CHECK_FALSE(ok.has("content"));
  const mstch::node empty = mstch::map{};
  CHECK_THROWS_AS(ok.render("nope", {&empty}), std::out_of_range);
  const mstch::node with_lambda = mstch::map{{"x", mstch::lambda{[]() -> mstch::node { return std::string("y"); }}}};
  const d::EmbeddedTemplate ts[] = {{"t", "{{x}}"}};
  CHECK_THROWS_AS(d::CompiledTemplates(ts).render("t", {&with_lambda}), std::invalid_argument);
}
