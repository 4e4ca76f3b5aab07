#include "madoguchi/protocol/topics.h"

#include <vector>

namespace madoguchi::protocol {

bool valid_municipality(std::string_view code) noexcept {
  if (code.size() != 6) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool valid_device_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return id.front() != '-' && id.back() != '-';
}

Status validate_identity(std::string_view municipality, std::string_view device) {
  if (!valid_municipality(municipality)) {
    return make_error(Errc::invalid_argument, "municipality must be a 6-digit local government code");
  }
  if (!valid_device_id(device)) {
    return make_error(Errc::invalid_argument, "device id must be 1-32 characters of a-z, 0-9 and '-'");
  }
  return {};
}

namespace {
std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find('/', start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}
}  // namespace

std::string device_identity(std::string_view municipality, std::string_view device) {
  std::string out(municipality);
  out += '.';
  out += device;
  return out;
}

std::string up_topic(std::string_view m, std::string_view d) { return join({kTopicRoot, m, d, "up"}); }
std::string down_topic(std::string_view m, std::string_view d) { return join({kTopicRoot, m, d, "down"}); }
std::string feed_topic(std::string_view m) { return join({kTopicRoot, m, "feed"}); }

std::string hub_up_subscription() {
  std::string out = "$share/";
  out += kHubShareGroup;
  out += '/';
  out += join({kTopicRoot, "+", "+", "up"});
  return out;
}

Expected<ParsedTopic> parse_topic(std::string_view topic) {
  auto parts = split(topic);
  auto bad = [&](const char* why) {
    return make_error(Errc::malformed, std::string("topic '") + std::string(topic.substr(0, 128)) + "': " + why);
  };
  if (parts.size() < 4 || parts[0] != "mg" || parts[1] != "v1") return bad("not a madoguchi v1 topic");
  if (!valid_municipality(parts[2])) return bad("bad municipality");
  if (parts.size() == 4 && parts[3] == "feed") {
    return ParsedTopic{TopicKind::feed, std::string(parts[2]), {}};
  }
  if (parts.size() == 5 && valid_device_id(parts[3])) {
    if (parts[4] == "up") return ParsedTopic{TopicKind::up, std::string(parts[2]), std::string(parts[3])};
    if (parts[4] == "down") return ParsedTopic{TopicKind::down, std::string(parts[2]), std::string(parts[3])};
  }
  return bad("unknown topic shape");
}

}  // namespace madoguchi::protocol
