#include "madoguchi/console/web/templates.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <exception>
#include <set>
#include <utility>

#include "embedded.h"
#include "madoguchi/console/web/page.h"

namespace madoguchi::console::web {
namespace {

// Pieces of the layout and of other templates: usable as {{> name}}, never rendered alone.
constexpr std::array<std::string_view, 3> kPartials = {"header", "footer", "error_summary"};
constexpr std::string_view kLayout = "layout";

bool is_partial(std::string_view name) {
  return std::find(kPartials.begin(), kPartials.end(), name) != kPartials.end();
}

bool valid_field_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Expected<mstch::map> layout_context(const Layout& layout) {
  if (!layout.emblem_url.empty() && !is_local_path(layout.emblem_url)) {
    return make_error(Errc::invalid_argument, "layout: emblem_url is not a local path");
  }
  mstch::array menus;
  menus.reserve(layout.menus.size());
  for (const MenuItem& item : layout.menus) {
    if (!is_local_path(item.url)) {
      return make_error(Errc::invalid_argument, "layout: a menu url is not a local path");
    }
    menus.emplace_back(mstch::map{
        {"label", item.label}, {"url", item.url}, {"current", item.current}});
  }
  const bool has_menus = !menus.empty();
  return mstch::map{
      {"title", layout.title},
      {"service_name", layout.service_name},
      {"municipality_name", layout.municipality_name},
      {"emblem_url", layout.emblem_url},
      {"signed_in", !layout.staff_name.empty()},
      {"staff_name", layout.staff_name},
      {"csrf_token", layout.csrf_token},
      {"has_menus", has_menus},
      {"menus", std::move(menus)},
      {"alarm_watch", layout.alarm_watch},
      {"alarm_script_url", static_js_url()},
      {"alarm_shown", layout.alarm_watch && layout.alarms_unacknowledged > 0},
      {"alarms_unacknowledged", std::to_string(layout.alarms_unacknowledged)},
      {"alarms_critical", layout.alarms_critical},
  };
}

Status add_field_errors(mstch::map& context, const std::vector<FieldError>& errors) {
  for (const FieldError& e : errors) {
    if (!valid_field_id(e.field)) {
      return make_error(Errc::invalid_argument, "field error: field id must be [a-z0-9_]+");
    }
  }
  mstch::array list;
  std::set<std::string> seen;
  for (const FieldError& e : errors) {
    list.emplace_back(mstch::map{{"field", e.field}, {"message", e.message}});
    if (seen.insert(e.field).second) context.insert_or_assign(e.field + "_error", e.message);
  }
  context.insert_or_assign("has_errors", !list.empty());
  context.insert_or_assign("errors", std::move(list));
  return {};
}

Templates::Templates() {
  std::map<std::string, std::string> partials;
  std::vector<std::pair<std::string, std::string>> pages;
  bool have_layout = false;
  for (const detail::EmbeddedFile& file : detail::embedded_templates()) {
    if (file.name == kLayout) {
      layout_ = std::string(file.content);
      have_layout = true;
    } else if (is_partial(file.name)) {
      partials.emplace(file.name, file.content);
    } else {
      pages.emplace_back(file.name, file.content);
    }
  }
  // Missing pieces are a build bug (CMakeLists.txt lists the templates), not a run-time error.
  assert(have_layout && partials.size() == kPartials.size());
  (void)have_layout;
  // The style sheet's URL changes with its content, so it can be cached for long (page.h).
  partials.emplace("css_url", static_css_url());
  for (auto& [name, content] : pages) {
    auto page_partials = partials;
    page_partials.emplace("content", std::move(content));
    pages_.emplace(name, std::move(page_partials));
  }
}

Expected<std::string> Templates::render(std::string_view name, const mstch::map& context) const {
  const auto page = pages_.find(name);
  if (page == pages_.end()) {
    return make_error(Errc::not_found, "no page template of that name");
  }
  try {
    return mstch::render(layout_, context, page->second);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("rendering a page template: ") + e.what());
  } catch (...) {
    return make_error(Errc::internal, "rendering a page template failed");
  }
}

std::vector<std::string> Templates::pages() const {
  std::vector<std::string> names;
  names.reserve(pages_.size());
  for (const auto& entry : pages_) names.push_back(entry.first);
  return names;
}

}  // namespace madoguchi::console::web
