// An in-memory stand-in for the broker, for logic tests with simulated time: clients publish to
// topics, the bus queues deliveries, and run() delivers them in order. Links can be cut per
// client, and deliveries can be dropped or duplicated on purpose. MQTT '+' and '#' filters are
// supported; $share prefixes are stripped.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "madoguchi/transport.h"

namespace madoguchi::testing {

inline bool topic_matches(const std::string& filter_in, const std::string& topic) {
  std::string filter = filter_in;
  if (filter.rfind("$share/", 0) == 0) {
    auto pos = filter.find('/', 7);
    filter = filter.substr(pos + 1);
  }
  std::size_t fi = 0, ti = 0;
  while (fi < filter.size()) {
    auto fe = filter.find('/', fi);
    if (fe == std::string::npos) fe = filter.size();
    std::string f = filter.substr(fi, fe - fi);
    if (f == "#") return true;
    if (ti > topic.size()) return false;
    auto te = topic.find('/', ti);
    if (te == std::string::npos) te = topic.size();
    std::string t = topic.substr(ti, te - ti);
    if (f != "+" && f != t) return false;
    fi = fe + 1;
    ti = te + 1;
  }
  return ti > topic.size();
}

class FakeBus {
 public:
  class Client : public Transport {
   public:
    Client(FakeBus& bus, std::string name) : bus_(bus), name_(std::move(name)) {}
    Status publish(const std::string& topic, const std::string& payload) override {
      if (!up_) return Error{Errc::transport, "link down"};
      bus_.queue_.push_back({name_, topic, payload});
      ++published;
      return {};
    }
    bool connected() const override { return up_; }
    void subscribe(const std::string& filter) { filters_.push_back(filter); }
    std::function<void(const std::string&, const std::string&)> on_message;
    std::function<void()> on_connected;
    std::function<void()> on_disconnected;
    std::size_t published = 0;

    void set_link(bool up) {
      if (up == up_) return;
      up_ = up;
      if (up && on_connected) on_connected();
      if (!up && on_disconnected) on_disconnected();
    }

   private:
    friend class FakeBus;
    FakeBus& bus_;
    std::string name_;
    bool up_ = false;
    std::vector<std::string> filters_;
  };

  Client& add(const std::string& name) {
    clients_.emplace_back(std::make_unique<Client>(*this, name));
    return *clients_.back();
  }

  // Decide the fate of each delivery: 0 = drop, 1 = deliver, 2 = deliver twice.
  std::function<int(const std::string& topic)> fate = [](const std::string&) { return 1; };

  // Delivers queued messages (and those they cause) until quiet or max_steps.
  std::size_t run(std::size_t max_steps = 1'000'000) {
    std::size_t n = 0;
    while (!queue_.empty() && n < max_steps) {
      auto m = queue_.front();
      queue_.pop_front();
      ++n;
      int times = fate(m.topic);
      for (int i = 0; i < times; ++i) {
        for (auto& c : clients_) {
          if (!c->up_) continue;  // offline subscribers miss it (clean sessions)
          for (const auto& f : c->filters_) {
            if (topic_matches(f, m.topic)) {
              if (c->on_message) c->on_message(m.topic, m.payload);
              break;
            }
          }
        }
      }
    }
    return n;
  }
  void drop_all_queued() { queue_.clear(); }

 private:
  struct Pending {
    std::string from, topic, payload;
  };
  std::deque<Pending> queue_;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace madoguchi::testing
