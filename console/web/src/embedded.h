// The files embedded at build time by cmake/embed_assets.cmake (the generated embedded_assets.cc
// defines these). Internal to madoguchi_console_web.
#pragma once

#include <span>
#include <string_view>

namespace madoguchi::console::web::detail {

struct EmbeddedFile {
  std::string_view name;     // template file name without ".mustache"
  std::string_view content;  // the file's bytes
};

// Every template under console/web/templates/ listed in CMakeLists.txt, in that order.
std::span<const EmbeddedFile> embedded_templates();
// console/web/static/console.css.
std::string_view embedded_css();
// console/web/static/console.js.
std::string_view embedded_js();

}  // namespace madoguchi::console::web::detail
