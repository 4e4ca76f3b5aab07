// Internal to madoguchi_portal: the compiled-in templates (assets.cc) and style sheet (style.cc).
#pragma once

#include <span>
#include <string_view>

namespace madoguchi::portal::detail {

struct EmbeddedTemplate {
  std::string_view name;
  std::string_view text;
};

// The layout, the partials and the pages.
std::span<const EmbeddedTemplate> templates();
// static/portal.css's content (style.cc).
std::string_view style_sheet();

}  // namespace madoguchi::portal::detail
