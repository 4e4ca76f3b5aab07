// Boost.Asio, as used by the simulators and their tests. Include Asio through this header only.
//
// Why: GCC 12 reports "potential null pointer dereference" inside Asio's scheduler
// (scheduler::compensating_work_started, inlined into the epoll reactor). It is a false positive
// from the middle end, emitted after inlining and therefore not silenced as a system-header
// warning; with -Werror it breaks the build. We silence exactly that warning for Asio's own code
// and keep -Wnull-dereference for ours.
//
// This header does not make Boost a dependency of madoguchi_sim's users: a target that includes
// it links Boost::boost itself.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
