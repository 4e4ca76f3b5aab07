// Contexts shared by the console/web tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <mstch/mstch.hpp>

#include "madoguchi/console/web/templates.h"

namespace madoguchi::console::web::testing {

inline Layout sample_layout() {
  Layout l;
  l.title = "予約一覧";
  l.service_name = "マイナンバーカード窓口";
  l.municipality_name = "見本市";
  l.emblem_url = "/media/emblem.png";
  l.staff_name = "窓口 花子";
  l.csrf_token = "csrf-token-of-this-session";
  l.menus = {{"予約一覧", "/reservations", true}, {"設定", "/settings", false}};
  return l;
}

inline mstch::map context_of(const Layout& layout) {
  auto context = layout_context(layout);
  REQUIRE(context.ok());
  return std::move(context).value();
}

// Occurrences of `needle` in `haystack`.
inline std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace madoguchi::console::web::testing
