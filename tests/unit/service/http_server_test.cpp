// The real listener and sessions on 127.0.0.1 (ephemeral port), in-process, with fake RequestSinks and
// a Beast client: keep-alive, pipelining, bad input, timeouts, late answers and the graceful stop.
#include "http/http_server.hpp"

#include <gtest/gtest.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "base64_encode.hpp"
#include "envelope_printers.hpp"
#include "security/access.hpp"

#if HSERVER_HAVE_TLS
#include <openssl/ssl.h>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl.hpp>
#endif

namespace hserver::service {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

// ---- fake sinks ----------------------------------------------------------------------------------

// Answers every request from a worker thread of its own, after `delay`, with `answer(request)`.
class ThreadSink final : public RequestSink {
 public:
  using Answer = std::function<ResponseEnvelope(const RequestEnvelope&)>;
  explicit ThreadSink(Answer answer, std::chrono::milliseconds delay = 0ms)
      : answer_(std::move(answer)), delay_(delay), worker_([this] { run(); }) {}
  ~ThreadSink() override { stop(); }

  void submit(const std::string& route, RequestEnvelope request, Completion done) override {
    std::lock_guard lock{mutex_};
    routes_.push_back(route);
    seen_.push_back(request);
    jobs_.emplace_back(std::move(request), std::move(done));
    wake_.notify_one();
  }

  void stop() {
    {
      std::lock_guard lock{mutex_};
      stopping_ = true;
      wake_.notify_one();
    }
    if (worker_.joinable()) worker_.join();
  }

  std::vector<RequestEnvelope> seen() const {
    std::lock_guard lock{mutex_};
    return seen_;
  }
  std::vector<std::string> routes() const {
    std::lock_guard lock{mutex_};
    return routes_;
  }

 private:
  void run() {
    std::unique_lock lock{mutex_};
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      auto [request, done] = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      std::this_thread::sleep_for(delay_);
      done(answer_(request));
      lock.lock();
    }
  }

  Answer answer_;
  std::chrono::milliseconds delay_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<RequestEnvelope, Completion>> jobs_;
  std::vector<RequestEnvelope> seen_;
  std::vector<std::string> routes_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts after the members it uses
};

// Holds every completion; answers only when the test says so (from the test's thread), or never.
class HoldingSink final : public RequestSink {
 public:
  void submit(const std::string&, RequestEnvelope request, Completion done) override {
    std::lock_guard lock{mutex_};
    held_.emplace_back(std::move(request), std::move(done));
    changed_.notify_all();
  }
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] { return held_.size() >= count; });
  }
  std::size_t count() const {
    std::lock_guard lock{mutex_};
    return held_.size();
  }
  void answer(std::size_t index, std::string body, std::uint16_t status = 200) {
    Completion done;
    std::uint64_t id = 0;
    {
      std::lock_guard lock{mutex_};
      done = std::move(held_.at(index).second);
      id = held_.at(index).first.id;
    }
    ResponseEnvelope response;
    response.id = id;
    response.status = status;
    response.body = std::move(body);
    done(std::move(response));
  }
  std::string body_of(std::size_t index) const {
    std::lock_guard lock{mutex_};
    return held_.at(index).first.body;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<RequestEnvelope, Completion>> held_;
};

// Answers inside submit(), before it returns, on the session's own thread.
class InlineSink final : public RequestSink {
 public:
  void submit(const std::string&, RequestEnvelope request, Completion done) override {
    ResponseEnvelope response;
    response.body = "inline:" + request.body;
    done(std::move(response));
  }
};

ResponseEnvelope echo(const RequestEnvelope& request) {
  ResponseEnvelope response;
  response.id = request.id;
  response.status = 200;
  response.body = "echo:" + request.body;
  return response;
}

// ---- client --------------------------------------------------------------------------------------

using Response = bhttp::response<bhttp::string_body>;

// A blocking-looking client whose every wait is bounded, so a server bug fails the test instead of
// hanging it.
class Client {
 public:
  explicit Client(const tcp::endpoint& endpoint) { socket_.connect(endpoint); }

  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

  std::optional<Response> read(bool head = false, std::chrono::milliseconds timeout = 5s) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (head) parser.skip(true);
    std::optional<beast::error_code> result;
    bhttp::async_read(socket_, buffer_, parser, [&](beast::error_code ec, std::size_t) { result = ec; });
    run(timeout, result);
    if (!result || *result) {
      last_error_ = result ? result->message() : "timeout";
      return std::nullopt;
    }
    return parser.release();
  }

  // True when the server closes the connection (EOF or reset) within `timeout` without sending more.
  bool closed_by_server(std::chrono::milliseconds timeout = 5s) {
    std::optional<beast::error_code> result;
    socket_.async_read_some(asio::buffer(scratch_), [&](beast::error_code ec, std::size_t) { result = ec; });
    run(timeout, result);
    return result && (*result == asio::error::eof || *result == asio::error::connection_reset);
  }

  // Reads raw bytes until `needle` has been seen (for the interim 100 Continue).
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout = 5s) {
    std::optional<beast::error_code> result;
    asio::async_read_until(socket_, buffer_, std::string{needle}, [&](beast::error_code ec, std::size_t n) {
      result = ec;
      if (!ec) buffer_.consume(n);
    });
    run(timeout, result);
    return result && !*result;
  }

  void close() {
    beast::error_code ignored;
    socket_.close(ignored);
  }
  const std::string& last_error() const { return last_error_; }

 private:
  void run(std::chrono::milliseconds timeout, const std::optional<beast::error_code>& result) {
    io_.restart();
    io_.run_for(timeout);
    if (!result) {
      beast::error_code ignored;
      socket_.cancel(ignored);
      io_.restart();
      io_.run();
    }
  }

  asio::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
  std::array<char, 4096> scratch_{};
  std::string last_error_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return fmt::format("GET {} HTTP/1.1\r\nHost: test\r\n{}\r\n", target, extra_headers);
}

// ---- fixture -------------------------------------------------------------------------------------

class HttpServerTest : public ::testing::Test {
 protected:
  static ServiceConfig config_for(RouteMode mode) {
    ServiceConfig config;
    config.routes[0].name = "test-route";
    config.routes[0].port = 0;  // ephemeral: the test asks the server which port it got
    config.routes[0].mode = mode;
    return config;
  }

  void start(std::unique_ptr<RequestSink> sink, ServiceConfig config) {
    // The tests set limits at the top level, as a config file's "http" object does for every route.
    for (RouteConfig& route : config.routes) route.http = config.http;
    sink_ = std::move(sink);
    io_ = std::make_unique<asio::io_context>(2);
    server_ = std::make_unique<HttpServer>(*io_, *sink_);
    auto started = server_->start(config);
    ASSERT_TRUE(started.has_value()) << started.error();
    ASSERT_EQ(server_->local_endpoints().size(), config.routes.size());
    endpoint_ = server_->local_endpoints()[0];
    ASSERT_NE(endpoint_.port(), 0);
    guard_.emplace(io_->get_executor());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_->run(); });
  }

  void TearDown() override {
    // Order matters: no I/O thread may run while the sink and the sessions go away.
    guard_.reset();
    if (io_) io_->stop();
    for (auto& thread : threads_) thread.join();
    if (auto* thread_sink = dynamic_cast<ThreadSink*>(sink_.get())) thread_sink->stop();
    server_.reset();
    // Completions a sink still holds own their sessions, whose sockets and timers need a live io_context:
    // the sink goes first (as the Dispatcher does in main), then the io_context with queued handlers.
    sink_.reset();
    io_.reset();
  }

  template <class Sink>
  Sink& sink() {
    return dynamic_cast<Sink&>(*sink_);
  }

  std::unique_ptr<RequestSink> sink_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<HttpServer> server_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::vector<std::thread> threads_;
  tcp::endpoint endpoint_;
};

// ---- tests ---------------------------------------------------------------------------------------

TEST_F(HttpServerTest, LegacyGetRoundTripWithKeepAlive) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::legacy));
  Client client{endpoint_};

  client.send(get("/%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82/1+2&&3"));
  auto first = client.read();
  ASSERT_TRUE(first) << client.last_error();
  EXPECT_EQ(first->result_int(), 200u);
  EXPECT_EQ(first->body(), "echo:Привет/1 2+3");
  EXPECT_EQ((*first)[bhttp::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ((*first)[bhttp::field::content_length], std::to_string(first->body().size()));
  EXPECT_EQ((*first)[bhttp::field::server].substr(0, 10), "1chserver/");
  EXPECT_TRUE(first->keep_alive());

  client.send(get("/second"));  // same connection
  auto second = client.read();
  ASSERT_TRUE(second) << client.last_error();
  EXPECT_EQ(second->body(), "echo:second");

  const auto seen = sink<ThreadSink>().seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].mode, RouteMode::legacy);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82/1+2&&3");
  EXPECT_EQ(seen[0].remote_address.rfind("127.0.0.1:", 0), 0u) << seen[0].remote_address;
  EXPECT_EQ(seen[0].remote_address, seen[1].remote_address);  // one connection, one client port
  EXPECT_EQ(sink<ThreadSink>().routes(), (std::vector<std::string>{"test-route", "test-route"}));
}

TEST_F(HttpServerTest, PipelinedResponsesComeBackInRequestOrder) {
  start(std::make_unique<HoldingSink>(), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send(get("/one") + get("/two") + get("/three"));  // one write, one socket

  auto& holding = sink<HoldingSink>();
  ASSERT_TRUE(holding.wait_for_requests(3));
  // Answered last to first, from the test thread: the writes must still follow request order.
  holding.answer(2, "3");
  holding.answer(1, "2");
  holding.answer(0, "1");
  for (const char* expected : {"1", "2", "3"}) {
    auto response = client.read();
    ASSERT_TRUE(response) << client.last_error();
    EXPECT_EQ(response->body(), expected);
  }
  EXPECT_EQ(holding.body_of(0), "one");
  EXPECT_EQ(holding.body_of(2), "three");
}

TEST_F(HttpServerTest, ReadAheadIsBoundedByMaxPipelined) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.http.max_pipelined = 2;
  start(std::make_unique<HoldingSink>(), config);
  Client client{endpoint_};
  client.send(get("/1") + get("/2") + get("/3") + get("/4"));

  auto& holding = sink<HoldingSink>();
  ASSERT_TRUE(holding.wait_for_requests(2));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(holding.count(), 2u) << "read past the pipelining limit";

  holding.answer(0, "a");  // one answer written: one more request may be read
  ASSERT_TRUE(client.read());
  ASSERT_TRUE(holding.wait_for_requests(3));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(holding.count(), 3u);
}

TEST_F(HttpServerTest, GarbageRequestLineGets400AndClose) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send("THIS IS NOT HTTP\r\n\r\n");
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 400u);
  EXPECT_EQ(response->body().rfind("Error: malformed request", 0), 0u) << response->body();
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(sink<ThreadSink>().seen().empty());
}

TEST_F(HttpServerTest, HugeHeadersGet431AndClose) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send(get("/x", "X-Big: " + std::string(128 * 1024, 'a') + "\r\n"));
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 431u);
  EXPECT_EQ(response->body().rfind("Error: ", 0), 0u);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, BigBodyGets413AndClose) {
  ServiceConfig config = config_for(RouteMode::http);
  config.http.body_limit = 1024;
  start(std::make_unique<ThreadSink>(echo), config);
  Client client{endpoint_};
  client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'b'));
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_EQ(response->body(), "Error: the request body exceeds 1024 bytes");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitGets413) {
  ServiceConfig config = config_for(RouteMode::http);
  config.http.body_limit = 1024;
  start(std::make_unique<ThreadSink>(echo), config);
  Client client{endpoint_};
  client.send("POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(0x800, 'c') +
              "\r\n0\r\n\r\n");
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 413u);
}

TEST_F(HttpServerTest, PostToLegacyRouteGets405BeforeItsBodyIsRead) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::legacy));
  {
    Client client{endpoint_};
    // 50 MB announced, three bytes sent: the answer comes from the header alone.
    client.send("POST /code HTTP/1.1\r\nHost: test\r\nContent-Length: 50000000\r\n\r\nabc");
    auto response = client.read();
    ASSERT_TRUE(response) << client.last_error();
    EXPECT_EQ(response->result_int(), 405u);
    EXPECT_EQ(response->body(), "Error: method not allowed");
    EXPECT_EQ((*response)[bhttp::field::allow], "GET, HEAD");
    EXPECT_TRUE(client.closed_by_server());  // the body was not read: the stream cannot go on
  }
  {
    Client client{endpoint_};
    client.send("GET /code HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\n");  // body not sent
    auto response = client.read();
    ASSERT_TRUE(response) << client.last_error();
    EXPECT_EQ(response->result_int(), 413u);
    EXPECT_TRUE(client.closed_by_server());
  }
  Client client{endpoint_};
  client.send(get("/after"));
  auto next = client.read();
  ASSERT_TRUE(next) << client.last_error();
  EXPECT_EQ(next->body(), "echo:after");
  EXPECT_EQ(sink<ThreadSink>().seen().size(), 1u);  // neither refused request reached dispatch
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::method_not_allowed), 1u);
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::body_too_large), 1u);
}

TEST_F(HttpServerTest, BadPercentEncodingGets400WithTheReason) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send(get("/abc%G1"));
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 400u);
  EXPECT_EQ(response->body(), "Error: invalid percent-encoding \"%G1\" at offset 4 of the path");

  client.send(get("/%FF"));
  auto utf = client.read();
  ASSERT_TRUE(utf) << client.last_error();
  EXPECT_EQ(utf->result_int(), 400u);
  EXPECT_NE(utf->body().find("not valid UTF-8"), std::string::npos) << utf->body();
  EXPECT_TRUE(sink<ThreadSink>().seen().empty());
}

TEST_F(HttpServerTest, HeadOnLegacyRouteHasLengthButNoBody) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send("HEAD /abc HTTP/1.1\r\nHost: t\r\n\r\n" + get("/next"));
  auto head = client.read(/*head=*/true);
  ASSERT_TRUE(head) << client.last_error();
  EXPECT_EQ((*head)[bhttp::field::content_length], "8");  // "echo:abc"
  auto next = client.read();
  ASSERT_TRUE(next) << client.last_error();
  EXPECT_EQ(next->body(), "echo:next");  // nothing of the HEAD body leaked into the stream
}

TEST_F(HttpServerTest, HttpRouteRoundTripWithHeadersAndBody) {
  start(std::make_unique<ThreadSink>([](const RequestEnvelope& request) {
          ResponseEnvelope response;
          response.status = 201;
          response.headers = {{"Content-Type", "application/json"}, {"X-Seen-Method", request.method}};
          response.body = R"({"got":")" + request.body + "\"}";
          return response;
        }),
        config_for(RouteMode::http));
  Client client{endpoint_};
  client.send("PUT /api/x?y=1 HTTP/1.1\r\nHost: t\r\nX-Dup: a\r\nX-Dup: b\r\nContent-Length: 4\r\n\r\ndata");
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 201u);
  EXPECT_EQ((*response)[bhttp::field::content_type], "application/json");
  EXPECT_EQ((*response)["X-Seen-Method"], "PUT");
  EXPECT_EQ(response->body(), R"({"got":"data"})");

  const auto seen = sink<ThreadSink>().seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].mode, RouteMode::http);
  EXPECT_EQ(seen[0].target, "/api/x?y=1");
  EXPECT_EQ(seen[0].body, "data");
  const std::vector<Header> expected{{"Host", "t"}, {"X-Dup", "a"}, {"X-Dup", "b"}, {"Content-Length", "4"}};
  EXPECT_EQ(seen[0].headers, expected);
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::http));
  Client client{endpoint_};
  client.send("POST /u HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  ASSERT_TRUE(client.read_until("HTTP/1.1 100 Continue\r\n\r\n"));
  client.send("hello");
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->body(), "echo:hello");
}

TEST_F(HttpServerTest, CompletionInsideSubmitIsHandled) {
  start(std::make_unique<InlineSink>(), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send(get("/a") + get("/b"));
  auto a = client.read();
  auto b = client.read();
  ASSERT_TRUE(a && b) << client.last_error();
  EXPECT_EQ(a->body(), "inline:a");
  EXPECT_EQ(b->body(), "inline:b");
}

TEST_F(HttpServerTest, ConnectionCloseFromTheClientIsHonoured) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send(get("/bye", "Connection: close\r\n"));
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.http.idle_timeout = 200ms;
  start(std::make_unique<ThreadSink>(echo), config);
  Client client{endpoint_};
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_server(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);
}

TEST_F(HttpServerTest, IdleTimeoutDoesNotRunWhileTheClientWaitsForAnAnswer) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.http.idle_timeout = 100ms;
  start(std::make_unique<ThreadSink>(echo, 500ms), config);  // 1C slower than the idle timeout
  Client client{endpoint_};
  client.send(get("/slow"));
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->body(), "echo:slow");
}

TEST_F(HttpServerTest, SlowRequestIsCutByTheReadTimeout) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.http.read_timeout = 200ms;
  start(std::make_unique<ThreadSink>(echo), config);
  Client client{endpoint_};
  client.send("GET /never-finished HTTP/1.1\r\nHost: t\r\n");  // no blank line: slowloris
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 408u);
  EXPECT_EQ(response->body(), "Error: the request was not received within 200 ms");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.closed_by_server(5s));
  EXPECT_TRUE(sink<ThreadSink>().seen().empty());
}

TEST_F(HttpServerTest, AnswerAfterTheClientHasGoneIsHarmless) {
  start(std::make_unique<HoldingSink>(), config_for(RouteMode::legacy));
  auto& holding = sink<HoldingSink>();
  {
    Client client{endpoint_};
    client.send(get("/lost"));
    ASSERT_TRUE(holding.wait_for_requests(1));
    client.close();
  }
  std::this_thread::sleep_for(100ms);  // let the session see the close
  holding.answer(0, "too late");
  std::this_thread::sleep_for(50ms);

  Client next{endpoint_};  // the server is still serving
  next.send(get("/next"));
  ASSERT_TRUE(holding.wait_for_requests(2));
  holding.answer(1, "fine");
  auto response = next.read();
  ASSERT_TRUE(response) << next.last_error();
  EXPECT_EQ(response->body(), "fine");
}

TEST_F(HttpServerTest, NeverAnsweringSinkDoesNotBlockTheStop) {
  start(std::make_unique<HoldingSink>(), config_for(RouteMode::legacy));
  Client client{endpoint_};
  client.send(get("/forever"));
  ASSERT_TRUE(sink<HoldingSink>().wait_for_requests(1));

  std::promise<void> drained;
  server_->stop_accepting();
  const auto started = std::chrono::steady_clock::now();
  server_->drain(300ms, [&] { drained.set_value(); });
  ASSERT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);  // waited for the deadline
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, DrainWritesTheAnswerInHandThenCloses) {
  start(std::make_unique<HoldingSink>(), config_for(RouteMode::legacy));
  Client idle{endpoint_};
  Client busy{endpoint_};
  busy.send(get("/work"));
  auto& holding = sink<HoldingSink>();
  ASSERT_TRUE(holding.wait_for_requests(1));

  std::promise<void> drained;
  server_->stop_accepting();
  server_->drain(5s, [&] { drained.set_value(); });
  EXPECT_TRUE(idle.closed_by_server());  // nothing in hand: closed at once

  holding.answer(0, "done");
  auto response = busy.read();
  ASSERT_TRUE(response) << busy.last_error();
  EXPECT_EQ(response->body(), "done");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(busy.closed_by_server());
  EXPECT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(server_->open_connections(), 0u);

  // No new connections after stop_accepting().
  tcp::socket probe{*io_};
  beast::error_code ec;
  probe.connect(endpoint_, ec);
  EXPECT_TRUE(ec) << "connected after stop_accepting()";
}

TEST_F(HttpServerTest, BusyPortIsAClearError) {
  start(std::make_unique<InlineSink>(), config_for(RouteMode::legacy));
  ServiceConfig same = config_for(RouteMode::legacy);
  same.routes[0].port = endpoint_.port();
  HttpServer second{*io_, *sink_};
  auto started = second.start(same);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error(), fmt::format("cannot listen on 127.0.0.1:{}: Address already in use", endpoint_.port()));
}

TEST_F(HttpServerTest, RoutesSharingAPortAreChosenByPathPrefix) {
  std::uint16_t port = 0;
  {  // a port free right now; the server binds it a moment later
    asio::io_context probe_io;
    tcp::acceptor probe{probe_io, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}};
    port = probe.local_endpoint().port();
  }
  ServiceConfig config = config_for(RouteMode::legacy);
  config.routes[0].name = "legacy";
  config.routes[0].port = port;
  config.routes[0].path_prefix = "/1c";
  RouteConfig api = config.routes[0];
  api.name = "api";
  api.mode = RouteMode::http;
  api.path_prefix = "/api";
  config.routes.push_back(api);
  start(std::make_unique<ThreadSink>(echo), config);
  EXPECT_EQ(server_->local_endpoints().at(0), server_->local_endpoints().at(1));  // one listener

  Client client{endpoint_};
  client.send(get("/1c/%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82"));
  auto legacy = client.read();
  ASSERT_TRUE(legacy) << client.last_error();
  EXPECT_EQ(legacy->body(), "echo:Привет");  // the code is what follows the prefix

  client.send(get("/api/orders?id=7"));
  auto http = client.read();
  ASSERT_TRUE(http) << client.last_error();
  EXPECT_EQ(http->result_int(), 200u);

  client.send(get("/apix") + get("/"));  // not a whole segment; no root route
  for (int i = 0; i < 2; ++i) {
    auto missing = client.read();
    ASSERT_TRUE(missing) << client.last_error();
    EXPECT_EQ(missing->result_int(), 404u);
    EXPECT_EQ(missing->body(), "Error: no route serves this path");  // route names are not told to strangers
    EXPECT_TRUE(missing->keep_alive());                              // a 404 is an answer, not a broken stream
  }

  client.send(get("/1c"));  // the prefix alone: an empty code, refused by the legacy decoder or passed on
  ASSERT_TRUE(client.read()) << client.last_error();

  const auto seen = sink<ThreadSink>().seen();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[1].target, "/api/orders?id=7");  // http routes see the whole target, prefix included
  const auto routes = sink<ThreadSink>().routes();
  EXPECT_EQ(std::vector<std::string>(routes.begin(), routes.begin() + 2), (std::vector<std::string>{"legacy", "api"}));
}

TEST_F(HttpServerTest, AmbiguousFramingIsRefusedBeforeTheSinkAndTheConnectionCloses) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::http));
  // Beast reads no body for "xchunked": the smuggled GET would be a second request here.
  Client client{endpoint_};
  client.send("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n" + get("/smuggled"));
  auto refused = client.read();
  ASSERT_TRUE(refused) << client.last_error();
  EXPECT_EQ(refused->result_int(), 400u);
  EXPECT_EQ(refused->body(), "Error: the final transfer coding is not chunked: the length of the body is unknown");
  EXPECT_FALSE(refused->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(sink<ThreadSink>().seen().empty());
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::bad_framing), 1u);
}

TEST_F(HttpServerTest, TheSinkGetsTheNormalisedPathAndAmbiguousPathsGet400) {
  start(std::make_unique<ThreadSink>(echo), config_for(RouteMode::http));
  Client client{endpoint_};
  client.send(get("//a/./b/../%63?q=/../"));
  auto answer = client.read();
  ASSERT_TRUE(answer) << client.last_error();
  EXPECT_EQ(answer->result_int(), 200u);
  ASSERT_EQ(sink<ThreadSink>().seen().size(), 1u);
  EXPECT_EQ(sink<ThreadSink>().seen()[0].target, "/a/c?q=/../");

  client.send(get("/a%2Fb"));
  auto refused = client.read();
  ASSERT_TRUE(refused) << client.last_error();
  EXPECT_EQ(refused->result_int(), 400u);
  EXPECT_EQ(refused->body(), "Error: an encoded '/', '\\' or NUL (\"%2F\") at offset 2 of the path is ambiguous");
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(sink<ThreadSink>().seen().size(), 1u);
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::bad_path), 1u);
}

// ---- access, limits, TLS -------------------------------------------------------------------------

std::string basic(std::string_view user_colon_password) {
  return "Basic " + test::base64(user_colon_password);
}

TEST_F(HttpServerTest, CredentialsAreCheckedBeforeTheBodyIsRead) {
  ServiceConfig config = config_for(RouteMode::http);
  config.routes[0].access.basic.push_back({"exchange", hash_secret("s3cret", 10'000)});
  start(std::make_unique<ThreadSink>(echo), config);
  {
    Client client{endpoint_};
    // A large body announced by a stranger: refused from the header, the body never read.
    client.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\nabc");
    auto refused = client.read();
    ASSERT_TRUE(refused) << client.last_error();
    EXPECT_EQ(refused->result_int(), 401u);
    EXPECT_EQ((*refused)[bhttp::field::www_authenticate], "Basic realm=\"1chserver\", charset=\"UTF-8\"");
    EXPECT_FALSE(refused->keep_alive());
  }
  {
    Client client{endpoint_};
    client.send(get("/x", "Authorization: " + basic("exchange:wrong") + "\r\n"));
    auto wrong = client.read();
    ASSERT_TRUE(wrong) << client.last_error();
    EXPECT_EQ(wrong->result_int(), 401u);
  }
  Client client{endpoint_};
  client.send(get("/x", "Authorization: " + basic("exchange:s3cret") + "\r\n"));
  auto ok = client.read();
  ASSERT_TRUE(ok) << client.last_error();
  EXPECT_EQ(ok->result_int(), 200u);
  EXPECT_EQ(sink<ThreadSink>().seen().size(), 1u);
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::unauthorized), 2u);
  EXPECT_EQ(server_->stats().auth_failures().at("test-route"), 2u);
}

TEST_F(HttpServerTest, AddressesOutsideTheAllowListGet403) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.routes[0].access.allow = {"10.0.0.0/8"};  // the test client is 127.0.0.1
  start(std::make_unique<ThreadSink>(echo), config);
  Client client{endpoint_};
  client.send(get("/x"));
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 403u);
  EXPECT_EQ(response->body(), "Error: this address may not use this route");
  EXPECT_TRUE(sink<ThreadSink>().seen().empty());
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::forbidden), 1u);
}

TEST_F(HttpServerTest, ARouteBodyLimitIsAppliedFromContentLength) {
  ServiceConfig config = config_for(RouteMode::http);
  start(std::make_unique<ThreadSink>(echo), [&] {
    config.http.body_limit = 100;
    return config;
  }());
  Client client{endpoint_};
  client.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n");  // no body sent: not needed
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 413u);
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::body_too_large), 1u);
}

TEST_F(HttpServerTest, HugeLengthsGet413BeforeAuthAndWithoutARoute) {
  ServiceConfig config = config_for(RouteMode::http);
  config.routes[0].path_prefix = "/api";
  config.routes[0].access.basic.push_back({"exchange", hash_secret("s3cret", 10'000)});
  config.http.body_limit = 1000;
  start(std::make_unique<ThreadSink>(echo), config);
  for (const char* target : {"/api/x", "/elsewhere"}) {
    Client client{endpoint_};
    client.send(fmt::format("POST {} HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\n", target));
    auto response = client.read();
    ASSERT_TRUE(response) << client.last_error();
    EXPECT_EQ(response->result_int(), 413u) << target;
  }
  // A small body to a path no route serves: 404 from the header, the body left unread.
  Client client{endpoint_};
  client.send("POST /elsewhere HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n");
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 404u);
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::unauthorized), 0u);
  EXPECT_TRUE(sink<ThreadSink>().seen().empty());
}

// ---- memory budget -------------------------------------------------------------------------------

std::string post(std::string_view target, std::size_t body_size) {
  return fmt::format("POST {} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{}", target, body_size,
                     std::string(body_size, 'b'));
}

// Polls (bounded) until the budget holds `bytes`: a session gives its bytes back a moment after the
// client has read the answer.
bool budget_settles_at(const MemoryBudget& budget, std::uint64_t bytes) {
  for (int i = 0; i < 500 && budget.in_use() != bytes; ++i) std::this_thread::sleep_for(10ms);
  return budget.in_use() == bytes;
}

ServiceConfig with_budget(ServiceConfig config, std::uint64_t budget) {
  config.memory_budget_bytes = budget;
  config.http.body_limit = budget;
  config.routes[0].retry_after = std::chrono::seconds{7};
  return config;
}

TEST_F(HttpServerTest, BodiesBeyondTheMemoryBudgetGet503WithRetryAfterUntilMemoryIsGivenBack) {
  start(std::make_unique<HoldingSink>(), with_budget(config_for(RouteMode::http), 10'000));
  const MemoryBudget& budget = *server_->memory_budget();
  Client first{endpoint_};
  first.send(post("/a", 6000));
  ASSERT_TRUE(sink<HoldingSink>().wait_for_requests(1));
  EXPECT_EQ(budget.in_use(), 6000u);

  {
    Client second{endpoint_};
    // Announced, not sent: the refusal comes from the header.
    second.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 6000\r\n\r\n");
    auto refused = second.read();
    ASSERT_TRUE(refused) << second.last_error();
    EXPECT_EQ(refused->result_int(), 503u);
    EXPECT_EQ((*refused)[bhttp::field::retry_after], "7");
    EXPECT_FALSE(refused->keep_alive());
    EXPECT_EQ(refused->body(), "Error: the service holds too much memory in requests now; try again later");
    EXPECT_TRUE(second.closed_by_server());
  }
  EXPECT_EQ(server_->stats().value(FrontStats::Reason::memory_budget), 1u);
  EXPECT_EQ(sink<HoldingSink>().count(), 1u);
  EXPECT_EQ(budget.in_use(), 6000u);

  sink<HoldingSink>().answer(0, "done");
  auto answered = first.read();
  ASSERT_TRUE(answered) << first.last_error();
  EXPECT_EQ(answered->result_int(), 200u);
  ASSERT_TRUE(budget_settles_at(budget, 0));

  Client third{endpoint_};
  third.send(post("/c", 6000));
  ASSERT_TRUE(sink<HoldingSink>().wait_for_requests(2));
  EXPECT_EQ(budget.in_use(), 6000u);
}

TEST_F(HttpServerTest, AChunkedBodyIsRefusedAtTheChunkThatDoesNotFit) {
  start(std::make_unique<HoldingSink>(), with_budget(config_for(RouteMode::http), 10'000));
  const MemoryBudget& budget = *server_->memory_budget();
  Client holder{endpoint_};
  holder.send(post("/a", 6000));
  ASSERT_TRUE(sink<HoldingSink>().wait_for_requests(1));

  // Within its body_limit, but the second 3000-byte chunk does not fit beside the 6000 held.
  Client client{endpoint_};
  std::string request = "POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) request += "bb8\r\n" + std::string(3000, 'c') + "\r\n";
  client.send(request + "0\r\n\r\n");
  auto response = client.read();
  ASSERT_TRUE(response) << client.last_error();
  EXPECT_EQ(response->result_int(), 503u);
  EXPECT_EQ((*response)[bhttp::field::retry_after], "7");
  EXPECT_EQ(sink<HoldingSink>().count(), 1u);
  EXPECT_TRUE(budget_settles_at(budget, 6000));  // the chunk read is given back

  Client small{endpoint_};
  small.send("POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\n" + std::string(3000, 'c') +
             "\r\n0\r\n\r\n");
  ASSERT_TRUE(sink<HoldingSink>().wait_for_requests(2));
  EXPECT_EQ(budget.in_use(), 9000u);
}

TEST_F(HttpServerTest, AnAnswerWaitingForItsTurnCountsAgainstTheBudget) {
  start(std::make_unique<HoldingSink>(), with_budget(config_for(RouteMode::http), 10'000));
  const MemoryBudget& budget = *server_->memory_budget();
  Client client{endpoint_};
  client.send(get("/first") + get("/second"));  // pipelined: the second answer waits for the first
  ASSERT_TRUE(sink<HoldingSink>().wait_for_requests(2));
  sink<HoldingSink>().answer(1, std::string(8000, 'a'));
  ASSERT_TRUE(budget_settles_at(budget, 8000));

  Client other{endpoint_};
  other.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n");
  auto refused = other.read();
  ASSERT_TRUE(refused) << other.last_error();
  EXPECT_EQ(refused->result_int(), 503u);

  sink<HoldingSink>().answer(0, "one");
  auto first = client.read();
  auto second = client.read();
  ASSERT_TRUE(first && second) << client.last_error();
  EXPECT_EQ(second->body().size(), 8000u);
  EXPECT_TRUE(budget_settles_at(budget, 0));
}

TEST_F(HttpServerTest, MemoryIsGivenBackWhenTheClientLeavesBeforeItsAnswer) {
  start(std::make_unique<HoldingSink>(), with_budget(config_for(RouteMode::http), 10'000));
  const MemoryBudget& budget = *server_->memory_budget();
  {
    Client client{endpoint_};
    client.send(post("/a", 5000));
    ASSERT_TRUE(sink<HoldingSink>().wait_for_requests(1));
    // Half a body, then gone.
    Client partial{endpoint_};
    partial.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 4000\r\n\r\nxyz");
    ASSERT_TRUE(budget_settles_at(budget, 9000));
  }
  // The partial request is dropped at once; the one in dispatch holds its body until dispatch answers
  // (504, 502 or the answer itself: any answer, to a session that has closed).
  ASSERT_TRUE(budget_settles_at(budget, 5000));
  sink<HoldingSink>().answer(0, std::string(1000, 'z'), 504);
  EXPECT_TRUE(budget_settles_at(budget, 0));
  EXPECT_EQ(budget.peak(), 9000u);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.http.max_connections = 2;
  start(std::make_unique<ThreadSink>(echo), config);
  Client first{endpoint_};
  Client second{endpoint_};
  first.send(get("/1"));
  ASSERT_TRUE(first.read());
  second.send(get("/2"));
  ASSERT_TRUE(second.read());
  Client third{endpoint_};
  auto refused = third.read();
  ASSERT_TRUE(refused) << third.last_error();
  EXPECT_EQ(refused->result_int(), 503u);
  EXPECT_EQ(refused->body(), "Error: too many connections (at most 2)");
  EXPECT_TRUE(third.closed_by_server());
  first.close();
  third.close();
  // A slot is free again once a connection has gone (bounded generously: on a loaded machine the server
  // may see the close late; this is about the slot coming back, not about how fast).
  bool served = false;
  for (int attempt = 0; attempt < 500 && !served; ++attempt) {
    Client fourth{endpoint_};
    fourth.send(get("/4"));
    auto response = fourth.read();
    served = response && response->result_int() == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
  EXPECT_GE(server_->stats().value(FrontStats::Reason::too_many_connections), 1u);
}

TEST_F(HttpServerTest, KeepAliveEndsAfterTheAllowedRequests) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.http.max_requests_per_connection = 2;
  start(std::make_unique<ThreadSink>(echo), config);
  Client client{endpoint_};
  client.send(get("/1"));
  auto first = client.read();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->keep_alive());
  client.send(get("/2"));
  auto second = client.read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->result_int(), 200u);
  EXPECT_FALSE(second->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

#if HSERVER_HAVE_TLS
TEST_F(HttpServerTest, TlsRoundTripAndPlainHttpOnATlsPortFails) {
  ServiceConfig config = config_for(RouteMode::legacy);
  config.routes[0].tls = TlsConfig{HSERVER_TEST_DATA "/test-cert.pem", HSERVER_TEST_DATA "/test-key.pem"};
  start(std::make_unique<ThreadSink>(echo), config);

  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  tls.load_verify_file(HSERVER_TEST_DATA "/test-cert.pem");
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream{io, tls};
  beast::get_lowest_layer(stream).expires_after(5s);
  beast::get_lowest_layer(stream).connect(endpoint_);
  stream.handshake(asio::ssl::stream_base::client);
  EXPECT_GE(SSL_version(stream.native_handle()), TLS1_2_VERSION);
  bhttp::request<bhttp::string_body> request{bhttp::verb::get, "/%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82", 11};
  request.set(bhttp::field::host, "127.0.0.1");
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "echo:Привет");

  // Plain HTTP to the TLS port: no answer in the clear, the connection is dropped.
  Client plain{endpoint_};
  plain.send(get("/x"));
  EXPECT_FALSE(plain.read(false, 2s).has_value());
  EXPECT_GE(server_->stats().value(FrontStats::Reason::tls_handshake), 1u);
}

TEST_F(HttpServerTest, TlsMisconfigurationStopsTheStartWithTheReason) {
  asio::io_context io;
  InlineSink sink;
  ServiceConfig missing = config_for(RouteMode::legacy);
  missing.routes[0].tls = TlsConfig{"/nonexistent/cert.pem", HSERVER_TEST_DATA "/test-key.pem"};
  HttpServer first{io, sink};
  auto started = first.start(missing);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().rfind("tls.certificate \"/nonexistent/cert.pem\": ", 0), 0u) << started.error();

  ServiceConfig mismatch = config_for(RouteMode::legacy);
  mismatch.routes[0].tls = TlsConfig{HSERVER_TEST_DATA "/test-cert.pem", HSERVER_TEST_DATA "/other-key.pem"};
  HttpServer second{io, sink};
  started = second.start(mismatch);
  ASSERT_FALSE(started.has_value());
  // OpenSSL checks the pair when the key is loaded: "key values mismatch".
  EXPECT_EQ(started.error().rfind("tls.private_key \"", 0), 0u) << started.error();
  EXPECT_NE(started.error().find("mismatch"), std::string::npos) << started.error();
}
#endif

}  // namespace
}  // namespace hserver::service
