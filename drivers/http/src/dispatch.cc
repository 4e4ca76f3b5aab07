// Request handling as a plain function: target decoding, the handler call with its failure
// policy, response validation and the security headers. No sockets, no Beast.
#include <algorithm>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "dispatch_internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include "madoguchi/http/server.h"

namespace madoguchi::http {
namespace {

constexpr std::string_view kDefaultCsp = "default-src 'none'";

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_token_char);
}

// Control characters (CR and LF above all) would let a value end the header block early.
bool valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

// Framing is the server's job; a handler setting these could desynchronise the connection.
bool is_reserved(std::string_view name) {
  return iequals(name, "content-type") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding") || iequals(name, "connection");
}

// Headers every response carries with exactly these values, whatever the handler set.
constexpr std::pair<std::string_view, std::string_view> kForcedHeaders[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Server", "madoguchi"},
};

bool valid_response(const Response& r) {
  if (r.status < 200 || r.status > 599) return false;
  if ((r.status == 204 || r.status == 304) && (!r.body.empty() || r.file)) return false;
  if (r.file && !r.body.empty()) return false;
  if (!valid_header_value(r.content_type)) return false;
  return std::all_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
    return valid_header_name(h.first) && valid_header_value(h.second) && !is_reserved(h.first);
  });
}

void add_security_headers(Response& r) {
  auto& h = r.headers;
  h.erase(std::remove_if(h.begin(), h.end(),
                         [](const auto& header) {
                           return std::any_of(std::begin(kForcedHeaders), std::end(kForcedHeaders),
                                              [&](const auto& forced) {
                                                return iequals(header.first, forced.first);
                                              });
                         }),
          h.end());
  for (const auto& [name, value] : kForcedHeaders) h.emplace_back(name, value);
  const bool has_csp = std::any_of(h.begin(), h.end(), [](const auto& header) {
    return iequals(header.first, "content-security-policy");
  });
  if (!has_csp) h.emplace_back("Content-Security-Policy", kDefaultCsp);
  // Nothing is cached unless the handler says so (only static assets with a versioned URL do).
  const bool has_cache_control = std::any_of(h.begin(), h.end(), [](const auto& header) {
    return iequals(header.first, "cache-control");
  });
  if (!has_cache_control) h.emplace_back("Cache-Control", "no-store");
}

}  // namespace

Expected<std::shared_ptr<const BodyFile>> BodyFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return make_error(Errc::io, path + ": " + std::strerror(e));
  }
  return std::shared_ptr<const BodyFile>(new BodyFile(fd, static_cast<std::uint64_t>(st.st_size)));
}

BodyFile::~BodyFile() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<std::string> BodyFile::read_all() const {
  std::string out(size_, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::io, std::string("reading a response file: ") + (n < 0 ? std::strerror(errno) : "short file"));
    done += static_cast<std::size_t>(n);
  }
  return out;
}

namespace {

Response generic_500() { return Response::error(500, "internal", "internal server error"); }

}  // namespace

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

Response Response::error(int status, std::string_view code, std::string_view message) {
  const nlohmann::json body = {
      {"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
  // replace: a message quoting outside bytes must not turn into an exception here.
  return json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string host_name_of(std::string_view host) {
  std::string_view name = host;
  if (!name.empty() && name.front() == '[') {  // an IPv6 literal, maybe with a port
    const auto close = name.find(']');
    if (close == std::string_view::npos) return {};
    const auto rest = name.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return {};
    name = name.substr(1, close - 1);
  } else if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    if (name.find(':') != colon) return {};  // a bare IPv6 literal is not a Host value
    name = name.substr(0, colon);
  }
  std::string out;
  for (char ch : name) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':')) return {};
    out += ch;
  }
  if (!out.empty() && out.back() == '.') out.pop_back();  // "example.jp." is "example.jp"
  return out;
}

namespace internal {

Response refusal(int status, Errc code, std::string_view message) {
  Response r = Response::error(status, errc_name(code), message);
  add_security_headers(r);
  return r;
}

Response dispatch(const Handler& handler, Request request, Outcome& outcome) {
  const std::string_view target = request.target;
  const std::size_t question = target.find('?');
  auto path = decode_path(target.substr(0, question));
  if (!path) {
    outcome = Outcome::refused;
    return refusal(400, Errc::malformed, "request target: " + path.error().message);
  }
  auto query = parse_query(question == std::string_view::npos ? std::string_view{}
                                                              : target.substr(question + 1));
  if (!query) {
    outcome = Outcome::refused;
    return refusal(400, Errc::malformed, "request target: " + query.error().message);
  }
  request.path = std::move(path).value();
  request.query = std::move(query).value();

  Response response;
  outcome = Outcome::handled;
  if (!handler) {
    outcome = Outcome::handler_failed;
    response = generic_500();
  } else {
    // The exception text may carry internals (paths, SQL); it never reaches the client.
    try {
      response = handler(request);
    } catch (...) {
      outcome = Outcome::handler_failed;
      response = generic_500();
    }
  }
  if (!valid_response(response)) {
    outcome = Outcome::handler_failed;
    response = generic_500();
  }
  add_security_headers(response);
  return response;
}

}  // namespace internal

Response dispatch(const Handler& handler, Request request) {
  internal::Outcome ignored{};
  return internal::dispatch(handler, std::move(request), ignored);
}

}  // namespace madoguchi::http
