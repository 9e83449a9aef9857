// ws-fetcher and ws-exporter (as libraries) against real ws-fakeserver processes, with a ROUTER
// in the test playing the reconciler's broker over inproc://: the protocol's job.fetch (plan and
// pages) and job.export, end to end through the backend clients.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "fake_process.h"
#include "ws/exporter.h"
#include "ws/fetcher.h"
#include "ws/media_item_msgpack.h"
#include "worker_testutil.h"
#include "ws/zmq_channel.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using ws::fake::FakeProcess;
using ws::testing::Running;
using ws::testing::TestBroker;

// A temp data folder with config/servers.yaml naming one fake server "my_<type>".
struct DataFolder {
  std::filesystem::path root;

  DataFolder(const FakeProcess& fake, const json& info) {
    std::random_device rd;
    root = std::filesystem::temp_directory_path() / ("ws-worker-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(root / "config");
    std::ofstream out(root / "config" / "servers.yaml");
    out << "my_" << fake.type() << ":\n"
        << "  type: " << fake.type() << "\n"
        << "  url: '" << fake.url() << "'\n"
        << "  token: '" << fake.token() << "'\n";
    if (fake.type() != "plex") out << "  user: '" << info.at("user_id").get<std::string>() << "'\n";
  }
  ~DataFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  ws::DataPaths paths() const { return ws::DataPaths{root}; }
};

ws::BackendOptions short_backend() {
  ws::BackendOptions o;
  o.timeout = 5000ms;
  o.connect_timeout = 2000ms;
  return o;
}

struct Fake {
  FakeProcess process;
  json info;
  std::string server;
};

Fake start_fake(const std::string& type, const std::vector<std::string>& args) {
  Fake f{FakeProcess::start(type, args), {}, "my_" + type};
  f.info = f.process.get_json("/__fake/info");
  return f;
}

std::set<std::string> fake_ids(const Fake& fake) {
  std::set<std::string> ids;
  for (const auto& item : fake.process.get_json("/__fake/items")) ids.insert(item.at("id").get<std::string>());
  return ids;
}

}  // namespace

TEST_CASE("a fetcher plans a server and fetches every item through page-range jobs", "[worker][fetcher]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      // --page-max 3: the server answers fewer items than asked, the fetcher must follow it.
      Fake fake = start_fake(type, {"--movies", "17", "--shows", "2", "--seasons", "2", "--episodes", "4",
                                    "--page-max", "3", "--state-seed", "5", "--watched", "30"});
      DataFolder data(fake.process, fake.info);
      zmq::context_t ctx;
      TestBroker broker(ctx);

      ws::FetcherOptions options;
      options.paths = data.paths();
      options.endpoint = broker.endpoint;
      options.name = "test-fetcher";
      options.servers = {fake.server};
      options.backend = short_backend();
      ws::Fetcher fetcher(ctx, options);
      Running<ws::Fetcher> running(fetcher);

      auto ready = broker.expect(ws::protocol::kWorkerReady);
      REQUIRE(ready);
      CHECK(ready->body["serves"] == "fetch");
      CHECK(ready->body["servers"] == json::array({fake.server}));

      broker.send(ws::protocol::kJobFetch, {{"job", "plan-1"}, {"attempt", 1}, {"server", fake.server}, {"kind", "plan"}});
      auto plan = broker.expect(ws::protocol::kJobDone);
      REQUIRE(plan);
      INFO(plan->body.dump());
      REQUIRE(plan->body["job"] == "plan-1");
      const json& result = plan->body["result"];
      CHECK(result["identity"]["id"] == fake.info["server_id"]);
      int64_t planned = 0;
      for (const auto& library : result["libraries"]) planned += library["total"].get<int64_t>();
      CHECK(planned == fake.info["movies"].get<int64_t>() + fake.info["episodes"].get<int64_t>());

      // Split every library into ranges of 5 fetched 4 at a time, as the reconciler does.
      std::set<std::string> received;
      int64_t duplicates = 0;
      int job_number = 0;
      for (const auto& library : result["libraries"]) {
        const int64_t total = library["total"].get<int64_t>();
        for (int64_t start = 0; start < total; start += 5) {
          const std::string job = "pages-" + std::to_string(++job_number);
          broker.send(ws::protocol::kJobFetch, {{"job", job}, {"attempt", 1}, {"server", fake.server}, {"kind", "pages"},
                                                {"library", library["id"]}, {"library_kind", library["kind"]},
                                                {"start", start}, {"count", 5}, {"page_size", 4}});
          // Batches then the done, in order, nothing else.
          int64_t items = 0;
          int64_t batches = 0;
          for (;;) {
            auto message = broker.next();
            REQUIRE(message);
            INFO(message->type << " " << message->body.dump());
            REQUIRE(message->body["job"] == job);
            if (message->type == ws::protocol::kBatchItems) {
              CHECK(message->body["seq"] == batches);
              CHECK(message->body["attempt"] == 1);
              CHECK(message->body["server"] == fake.server);
              CHECK(message->body["library"] == library["id"]);
              ws::ItemsReadReport report;
              auto batch = ws::read_items_msgpack(message->items_msgpack, report);
              REQUIRE(batch.ok());
              CHECK(report.skipped.empty());
              for (const ws::MediaItem& item : *batch) {
                CHECK(item.server == fake.server);
                CHECK(item.type == (library["kind"] == "movie" ? ws::MediaType::movie : ws::MediaType::episode));
                if (!received.insert(item.item_id).second) ++duplicates;
                ++items;
              }
              ++batches;
              continue;
            }
            REQUIRE(message->type == ws::protocol::kJobDone);
            CHECK(message->body["result"]["items"] == items);
            CHECK(message->body["result"]["batches"] == batches);
            CHECK(items == std::min<int64_t>(5, total - start));
            break;
          }
        }
      }
      CHECK(duplicates == 0);
      CHECK(received == fake_ids(fake));
    }
  }
}

TEST_CASE("a fetch job for a server servers.yaml does not list fails without retry", "[worker][fetcher]") {
  Fake fake = start_fake("jellyfin", {"--movies", "3", "--shows", "0"});
  DataFolder data(fake.process, fake.info);
  zmq::context_t ctx;
  TestBroker broker(ctx);
  ws::FetcherOptions options;
  options.paths = data.paths();
  options.endpoint = broker.endpoint;
  options.backend = short_backend();
  ws::Fetcher fetcher(ctx, options);
  Running<ws::Fetcher> running(fetcher);
  REQUIRE(broker.expect(ws::protocol::kWorkerReady));

  broker.send(ws::protocol::kJobFetch, {{"job", "j1"}, {"attempt", 1}, {"server", "nowhere"}, {"kind", "plan"}});
  auto failed = broker.expect(ws::protocol::kJobFailed);
  REQUIRE(failed);
  CHECK(failed->body["retryable"] == false);
  CHECK(failed->body["error"].get<std::string>().find("nowhere") != std::string::npos);

  SECTION("until it is added: the fetcher reloads the file once for an unknown name") {
    {
      std::ofstream out(data.root / "config" / "servers.yaml", std::ios::app);
      out << "late_jf:\n  type: jellyfin\n  url: '" << fake.process.url() << "'\n  token: '" << fake.process.token()
          << "'\n  user: '" << fake.info["user_id"].get<std::string>() << "'\n";
    }
    broker.send(ws::protocol::kJobFetch, {{"job", "j2"}, {"attempt", 1}, {"server", "late_jf"}, {"kind", "plan"}});
    auto done = broker.expect(ws::protocol::kJobDone);
    REQUIRE(done);
    CHECK(done->body["job"] == "j2");
  }
  SECTION("a malformed job fails without retry, naming the field") {
    broker.send(ws::protocol::kJobFetch, {{"job", "j3"}, {"attempt", 1}, {"server", fake.server}, {"kind", "pages"},
                                          {"library", "x"}, {"library_kind", "song"}, {"start", 0}, {"count", 1}});
    auto bad = broker.expect(ws::protocol::kJobFailed);
    REQUIRE(bad);
    CHECK(bad->body["retryable"] == false);
    CHECK(bad->body["error"].get<std::string>().find("library_kind") != std::string::npos);
  }
}

TEST_CASE("an exporter writes only what differs, so a second identical job writes nothing", "[worker][exporter]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      Fake fake = start_fake(type, {"--movies", "12", "--shows", "1", "--seasons", "1", "--episodes", "4",
                                    "--state-seed", "3", "--watched", "50"});
      DataFolder data(fake.process, fake.info);
      zmq::context_t ctx;
      TestBroker broker(ctx);
      ws::ExporterOptions options;
      options.paths = data.paths();
      options.endpoint = broker.endpoint;
      options.name = "test-exporter";
      options.config.export_concurrency = 3;
      options.backend = short_backend();
      ws::Exporter exporter(ctx, options);
      Running<ws::Exporter> running(exporter);
      auto ready = broker.expect(ws::protocol::kWorkerReady);
      REQUIRE(ready);
      CHECK(ready->body["serves"] == "export");

      // Every unwatched item gets played, every watched one unplayed, and one unwatched item a
      // resume position.
      const int64_t played_at = 1700000000;
      json actions = json::array();
      std::map<std::string, bool> expected_watched;  // item id -> watched after the job
      std::string progress_id;
      for (const auto& item : fake.process.get_json("/__fake/items")) {
        const std::string id = item["id"].get<std::string>();
        const bool watched = item["watched"].get<bool>();
        json media = {{"server", fake.server}, {"item_id", id}, {"type", item["type"]}};
        actions.push_back({{"key", "k-" + id}, {"action", watched ? "unplay" : "play"}, {"item", media},
                           {"played_at", played_at}});
        expected_watched[id] = !watched;
        if (watched && progress_id.empty()) {
          progress_id = id;  // unplayed by this job: then it gets a position
          actions.push_back({{"key", "p-" + id}, {"action", "progress"}, {"item", media}, {"progress_ms", 600000}});
        }
      }
      REQUIRE(expected_watched.size() > 4);
      REQUIRE(!progress_id.empty());
      // An action for an item the server does not have ends alone, as gone (rule 8).
      actions.push_back({{"key", "k-missing"}, {"action", "play"},
                         {"item", {{"server", fake.server}, {"item_id", "999999999"}, {"type", "movie"}}}});

      auto run_job = [&](const std::string& job) {
        broker.send(ws::protocol::kJobExport, {{"job", job}, {"attempt", 1}, {"server", fake.server}, {"actions", actions}});
        auto done = broker.expect(ws::protocol::kJobDone);
        REQUIRE(done);
        INFO(done->body.dump());
        REQUIRE(done->body["job"] == job);
        return done->body["result"];
      };

      json first = run_job("export-1");
      CHECK(first["done"].size() == actions.size());
      CHECK(first["failed"].empty());
      for (const auto& d : first["done"]) {
        INFO(d.dump());
        if (d["key"] == "k-missing") {
          CHECK(d["outcome"] == "gone");
          CHECK(d["written"] == false);
          CHECK_FALSE(d.contains("state"));
          continue;
        }
        CHECK(d["written"] == true);
        CHECK(d["outcome"] == "written");
        // The state read back after the writes: what the server shows, per item.
        const std::string id = d["key"].get<std::string>().substr(2);
        REQUIRE(d.contains("state"));
        CHECK(d["state"]["watched"] == expected_watched[id]);
        if (id == progress_id) CHECK(d["state"]["progress_ms"] == 600000);
      }

      for (const auto& item : fake.process.get_json("/__fake/items")) {
        const std::string id = item["id"].get<std::string>();
        INFO(id);
        CHECK(item["watched"] == expected_watched[id]);
        if (item["watched"] == true && type != "plex") CHECK(item["played_at"] == played_at);  // Plex records now
        if (id == progress_id) CHECK(item["progress_ms"] == 600000);
      }
      const size_t writes = fake.process.get_json("/__fake/writes").size();
      CHECK(writes == actions.size() - 1);

      // The same job again (a re-run after a reconciler crash): nothing is written.
      json second = run_job("export-2");
      CHECK(second["done"].size() == actions.size());
      for (const auto& d : second["done"]) {
        CHECK(d["written"] == false);
        CHECK(d["outcome"] == (d["key"] == "k-missing" ? "gone" : "unchanged"));
      }
      CHECK(fake.process.get_json("/__fake/writes").size() == writes);
    }
  }
}

TEST_CASE("an exporter hands a job back as retryable when the server is unreachable", "[worker][exporter]") {
  Fake fake = start_fake("emby", {"--movies", "2", "--shows", "0"});
  DataFolder data(fake.process, fake.info);
  const json items = fake.process.get_json("/__fake/items");
  fake.process.stop();  // nothing listens there any more

  zmq::context_t ctx;
  TestBroker broker(ctx);
  ws::ExporterOptions options;
  options.paths = data.paths();
  options.endpoint = broker.endpoint;
  options.backend = short_backend();
  options.backend.retry.max_attempts = 1;
  ws::Exporter exporter(ctx, options);
  Running<ws::Exporter> running(exporter);
  REQUIRE(broker.expect(ws::protocol::kWorkerReady));

  json actions = json::array();
  for (const auto& item : items)
    actions.push_back({{"key", "k-" + item["id"].get<std::string>()}, {"action", "play"},
                       {"item", {{"item_id", item["id"]}, {"type", "movie"}}}});
  broker.send(ws::protocol::kJobExport, {{"job", "e1"}, {"attempt", 1}, {"server", fake.server}, {"actions", actions}});
  auto answer = broker.next();
  REQUIRE(answer);
  INFO(answer->body.dump());
  REQUIRE(answer->type == ws::protocol::kJobFailed);
  CHECK(answer->body["retryable"] == true);
}

TEST_CASE("a fetcher stopped mid-job returns after the page in flight and hands the job back", "[worker][fetcher]") {
  Fake fake = start_fake("plex", {"--movies", "40", "--shows", "0", "--latency-ms", "100"});
  DataFolder data(fake.process, fake.info);
  zmq::context_t ctx;
  TestBroker broker(ctx);
  ws::FetcherOptions options;
  options.paths = data.paths();
  options.endpoint = broker.endpoint;
  options.backend = short_backend();
  ws::Fetcher fetcher(ctx, options);
  auto running = std::async(std::launch::async, [&] { fetcher.run(); });
  REQUIRE(broker.expect(ws::protocol::kWorkerReady));

  // 40 pages of one item, 100 ms each: about 4 s if nobody stops it.
  broker.send(ws::protocol::kJobFetch, {{"job", "slow"}, {"attempt", 1}, {"server", fake.server}, {"kind", "pages"},
                                        {"library", fake.info["libraries"]["movies"]}, {"library_kind", "movie"},
                                        {"start", 0}, {"count", 40}, {"page_size", 1}});
  REQUIRE(broker.expect(ws::protocol::kBatchItems));
  const auto asked = Clock::now();
  fetcher.stop();
  REQUIRE(running.wait_for(3s) == std::future_status::ready);
  CHECK(Clock::now() - asked < 1500ms);
  auto failed = broker.expect(ws::protocol::kJobFailed, 2000ms);
  REQUIRE(failed);
  CHECK(failed->body["job"] == "slow");
  CHECK(failed->body["retryable"] == true);
}
