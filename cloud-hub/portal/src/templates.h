// Internal to madoguchi_portal: the site's templates, parsed once (at Portal construction) and
// rendered from their parsed form.
//
// The templates are mustache, and the pages' data stays mstch::node (maps, arrays, strings,
// bools), but mstch::render() parses the layout and every partial again on every call and copies
// a section's tokens for each item it renders; at the site's request rates that was most of the
// CPU of a page (docs/performance.md, "The citizen site"). CompiledTemplates renders the same
// subset of mustache with mstch 1.0.2's semantics, so the output is byte-identical (tests/cloud-
// hub/portal_templates_test.cc renders every template with both and compares):
//   {{name}} (HTML-escaped with html_escape below, the site's one escaping function), {{.}},
//   {{#name}}…{{/name}} (arrays repeat, empty arrays / false / "" / null / 0 skip, anything else
//   is pushed once), {{^name}}…{{/name}}, {{> partial}}, {{! comment}}, dotted names, and the
//   removal of "standalone" tag lines.
// Not supported, refused when the templates are parsed (std::invalid_argument): unescaped output
// ({{{name}}} and {{&name}}: the site never writes unescaped text), delimiter changes, indented
// standalone partials, unbalanced sections. Lambdas and mstch::object in the data render as
// nothing (the site uses neither).
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <mstch/mstch.hpp>

#include "assets.h"

namespace madoguchi::portal::detail {

// Appends `text` to `out` with & ' " < > / replaced by entities (as mstch does: the site's pages
// escape the same way in text and in attribute values).
void html_escape(std::string_view text, std::string& out);
std::string html_escape(std::string_view text);

class CompiledTemplates {
 public:
  // Parses every template. Throws std::invalid_argument on a construct listed above as refused.
  explicit CompiledTemplates(std::span<const EmbeddedTemplate> templates);
  ~CompiledTemplates();
  CompiledTemplates(const CompiledTemplates&) = delete;
  CompiledTemplates& operator=(const CompiledTemplates&) = delete;

  bool has(std::string_view name) const;

  // Renders template `name` with `roots` pushed in order as the context (the last one innermost:
  // its keys hide the same keys of the ones before); {{> content}} renders template `content`
  // (the layout's page body), any other {{> x}} template x (a missing one renders as nothing, as
  // in mstch). `name` must exist (std::out_of_range otherwise). Throws std::invalid_argument for
  // a lambda in the data.
  std::string render(std::string_view name, std::initializer_list<const mstch::node*> roots,
                     std::string_view content = {}) const;

  struct Node;
  struct Template;

 private:
  std::map<std::string, std::unique_ptr<Template>, std::less<>> templates_;
};

}  // namespace madoguchi::portal::detail
