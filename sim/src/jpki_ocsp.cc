#include "madoguchi/sim/jpki_ocsp.h"

#include <atomic>
#include <thread>

#include "madoguchi/http/server.h"
#include "madoguchi/sim/asio.h"

namespace madoguchi::sim::jpki {

struct OcspResponder::Impl {
  std::filesystem::path dir;
  Options options;
  boost::asio::io_context io;
  std::unique_ptr<http::Server> server;
  std::thread thread;
  std::atomic<std::uint64_t> answered{0};

  http::Response handle(const http::Request& r) {
    if (r.method != "POST") {
      auto out = http::Response::text(405, "OCSP requests are POSTed (RFC 6960 A.1)\n");
      out.headers.emplace_back("Allow", "POST");
      return out;
    }
    auto der = ocsp_respond(dir, r.body, options.valid_minutes);
    if (!der) return http::Response::text(500, "the responder cannot answer: " + der.error().message + "\n");
    ++answered;
    http::Response out;
    out.content_type = "application/ocsp-response";
    out.body = std::move(*der);
    return out;
  }
};

OcspResponder::OcspResponder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OcspResponder::~OcspResponder() {
  boost::asio::post(impl_->io, [impl = impl_.get()] {
    impl->server->stop();
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->server.reset();
}

Expected<std::unique_ptr<OcspResponder>> OcspResponder::start(const std::filesystem::path& dir, const Options& options) {
  if (options.valid_minutes < 1) return Error{Errc::invalid_argument, "valid minutes: at least 1"};
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = options;
  http::ServerOptions so;
  so.address = options.address;
  so.port = options.port;
  so.body_limit = 64 * 1024;
  so.host_names.clear();  // reached by whatever name the certificates' AIA or the hub's configuration gives
  Impl* raw = impl.get();
  impl->server = std::make_unique<http::Server>(impl->io, so, [raw](const http::Request& r) { return raw->handle(r); });
  if (auto s = impl->server->start(); !s) return s.error();
  impl->thread = std::thread([raw] {
    auto guard = boost::asio::make_work_guard(raw->io);
    raw->io.run();
  });
  return std::unique_ptr<OcspResponder>(new OcspResponder(std::move(impl)));
}

std::uint16_t OcspResponder::port() const { return impl_->server->port(); }
std::uint64_t OcspResponder::answered() const { return impl_->answered.load(); }

}  // namespace madoguchi::sim::jpki
