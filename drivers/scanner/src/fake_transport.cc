// FakeTransport: one simulated scanner behind a mutex and a condition variable.
#include "madoguchi/scanner/fake_transport.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace madoguchi::scanner {

struct FakeTransport::State {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<UsbId> attached;
  std::uint64_t generation = 0;  // bumped by every plug and unplug
  std::deque<Report> reports;
  bool woken = false;
  bool arrived = false;  // an arrival of the watched id not yet seen by wait_for_events
  std::vector<bool> pending_events;  // true = arrived, false = left; delivered on the reader
  std::optional<UsbId> watched;
  HotplugCallbacks callbacks;
  std::size_t opens = 0;
  std::optional<ScannerMode> last_mode;
  std::optional<Error> fail_next;

  // Runs the queued hotplug callbacks on the calling (reading) thread, outside the lock.
  void deliver_events(std::unique_lock<std::mutex>& lock) {
    if (pending_events.empty()) return;
    std::vector<bool> events;
    events.swap(pending_events);
    HotplugCallbacks cb = callbacks;
    lock.unlock();
    for (bool arrival : events) {
      if (arrival && cb.arrived) cb.arrived();
      if (!arrival && cb.left) cb.left();
    }
    lock.lock();
  }
};

namespace {

class FakeDevice final : public ScannerDevice {
 public:
  FakeDevice(std::shared_ptr<FakeTransport::State> state, std::uint64_t generation, UsbId id)
      : state_(std::move(state)), generation_(generation), id_(id) {}

  Expected<std::optional<Report>> read_report(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mutex);
    state_->deliver_events(lock);
    const auto ready = [&] {
      return state_->generation != generation_ || !state_->reports.empty() || state_->woken;
    };
    state_->changed.wait_for(lock, timeout, ready);
    state_->deliver_events(lock);
    if (state_->generation != generation_) {
      return make_error(Errc::not_found, "scanner " + usb_id_text(id_) + " was unplugged");
    }
    if (!state_->reports.empty()) {
      Report r = std::move(state_->reports.front());
      state_->reports.pop_front();
      return std::optional<Report>(std::move(r));
    }
    state_->woken = false;
    return std::optional<Report>();
  }

  std::string description() const override { return usb_id_text(id_) + " (simulated)"; }

 private:
  std::shared_ptr<FakeTransport::State> state_;
  std::uint64_t generation_;
  UsbId id_;
};

}  // namespace

FakeTransport::FakeTransport(bool hotplug) : hotplug_(hotplug), state_(std::make_shared<State>()) {}
FakeTransport::~FakeTransport() = default;

void FakeTransport::plug(UsbId id) {
  std::lock_guard lock(state_->mutex);
  if (state_->attached) state_->pending_events.push_back(false);
  state_->attached = id;
  ++state_->generation;
  state_->reports.clear();
  if (hotplug_ && state_->watched == id) {
    state_->pending_events.push_back(true);
    state_->arrived = true;
  }
  state_->changed.notify_all();
}

void FakeTransport::unplug() {
  std::lock_guard lock(state_->mutex);
  if (!state_->attached) return;
  if (hotplug_ && state_->watched == state_->attached) state_->pending_events.push_back(false);
  state_->attached.reset();
  ++state_->generation;
  state_->reports.clear();
  state_->changed.notify_all();
}

bool FakeTransport::push_report(Report report) {
  std::lock_guard lock(state_->mutex);
  if (!state_->attached) return false;
  state_->reports.push_back(std::move(report));
  state_->changed.notify_all();
  return true;
}

std::size_t FakeTransport::pending_reports() const {
  std::lock_guard lock(state_->mutex);
  return state_->reports.size();
}

std::size_t FakeTransport::open_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->opens;
}

std::optional<ScannerMode> FakeTransport::last_mode() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_mode;
}

void FakeTransport::fail_next_open(Error error) {
  std::lock_guard lock(state_->mutex);
  state_->fail_next = std::move(error);
}

Expected<std::unique_ptr<ScannerDevice>> FakeTransport::open(UsbId id, ScannerMode mode) {
  std::lock_guard lock(state_->mutex);
  if (!state_->attached || *state_->attached != id) {
    return make_error(Errc::not_found, "no scanner " + usb_id_text(id) + " is attached");
  }
  if (state_->fail_next) {
    Error e = std::move(*state_->fail_next);
    state_->fail_next.reset();
    return e;
  }
  ++state_->opens;
  state_->last_mode = mode;
  return std::unique_ptr<ScannerDevice>(
      std::make_unique<FakeDevice>(state_, state_->generation, id));
}

Status FakeTransport::watch(UsbId id, HotplugCallbacks callbacks) {
  if (!hotplug_) return make_error(Errc::io, "hotplug is not supported (simulated)");
  std::lock_guard lock(state_->mutex);
  state_->watched = id;
  state_->callbacks = std::move(callbacks);
  return {};
}

void FakeTransport::wait_for_events(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  state_->changed.wait_for(lock, timeout, [&] {
    return state_->woken || state_->arrived || !state_->pending_events.empty();
  });
  state_->deliver_events(lock);
  state_->woken = false;
  state_->arrived = false;
}

void FakeTransport::wake() {
  std::lock_guard lock(state_->mutex);
  state_->woken = true;
  state_->changed.notify_all();
}

}  // namespace madoguchi::scanner
