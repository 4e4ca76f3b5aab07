#include "madoguchi/console/web/page.h"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "embedded.h"
#include "sodium_init.h"

namespace madoguchi::console::web {
namespace {

struct ErrorText {
  int status;
  std::string_view title;
  std::string_view message;
};

// The only words an error page says: no reason, no path, no exception text.
constexpr ErrorText kErrorTexts[] = {
    {400, "リクエストを処理できませんでした", "入力内容を確認して、もう一度お試しください。"},
    {403, "このページは表示できません",
     "このページを表示する権限がありません。必要な場合は、管理者にお問い合わせください。"},
    {404, "ページが見つかりません", "お探しのページは見つかりませんでした。アドレスを確認してください。"},
    {405, "この操作はできません", "この操作は受け付けられません。メニューから、もう一度お試しください。"},
    {413, "送信内容が大きすぎます", "送信できる大きさを超えています。内容を減らして、もう一度お試しください。"},
    {429, "アクセスが集中しています", "しばらく時間をおいてから、もう一度お試しください。"},
    {500, "エラーが発生しました",
     "処理中にエラーが発生しました。しばらくしてから、もう一度お試しください。解決しない場合は、管理者にお問い合わせください。"},
    {503, "ただいま利用できません", "しばらく時間をおいてから、もう一度お試しください。"},
};

const ErrorText& error_text(int status) {
  for (const ErrorText& t : kErrorTexts) {
    if (t.status == status) return t;
  }
  return kErrorTexts[6];  // 500
}

// Used when a template fails to render: no template, no context, nothing that could fail again.
std::string fallback_500() {
  return "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>エラーが発生しました</title>\n<link rel=\"stylesheet\" href=\"" +
         static_css_url() +
         "\">\n</head>\n<body>\n<a class=\"skip-link\" href=\"#main\">本文へ移動</a>\n"
         "<main id=\"main\" tabindex=\"-1\">\n<div class=\"container\">\n<h1>エラーが発生しました</h1>\n"
         "<p>処理中にエラーが発生しました。しばらくしてから、もう一度お試しください。</p>\n"
         "<p><a href=\"/\">トップページへ戻る</a></p>\n</div>\n</main>\n</body>\n</html>\n";
}

}  // namespace

bool is_local_path(std::string_view url) {
  if (url.empty() || url[0] != '/') return false;
  if (url.size() > 1 && (url[1] == '/' || url[1] == '\\')) return false;
  return std::none_of(url.begin(), url.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '\\';
  });
}

http::Response html(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

http::Response page(const Templates& templates, int status, std::string_view name,
                    const mstch::map& context) {
  auto body = templates.render(name, context);
  if (!body) return html(500, fallback_500());
  return html(status, std::move(body).value());
}

http::Response error_page(const Templates& templates, int status, mstch::map layout) {
  const int code = status >= 400 && status <= 599 ? status : 500;
  const ErrorText& text = error_text(code);
  layout.insert_or_assign("title", std::string(text.title));
  layout.insert_or_assign("message", std::string(text.message));
  return page(templates, code, "error", layout);
}

http::Response see_other(std::string_view location) {
  http::Response r = html(303, {});
  r.headers.emplace_back("Location", is_local_path(location) ? std::string(location) : std::string("/"));
  return r;
}

http::Response static_css() {
  http::Response r;
  r.status = 200;
  r.content_type = "text/css; charset=utf-8";
  r.body = std::string(detail::embedded_css());
  r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  return r;
}

namespace {

// `path` + "?v=" + 16 hex digits of a hash of `content`.
std::string versioned_url(std::string_view path, std::string_view content) {
  detail::ensure_sodium();
  unsigned char hash[8];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(content.data()), content.size(),
                     nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return std::string(path) + "?v=" + hex;
}

}  // namespace

const std::string& static_css_url() {
  // Computed once from constant data: not mutable state.
  static const std::string url = versioned_url(kStaticCssPath, detail::embedded_css());
  return url;
}

http::Response static_js() {
  http::Response r;
  r.status = 200;
  r.content_type = "text/javascript; charset=utf-8";
  r.body = std::string(detail::embedded_js());
  r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  return r;
}

const std::string& static_js_url() {
  static const std::string url = versioned_url(kStaticJsPath, detail::embedded_js());
  return url;
}

}  // namespace madoguchi::console::web
