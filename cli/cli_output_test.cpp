// Output a user reads once (issue 7 item 10): aligned tables with wide titles, memory figures,
// errors not printed twice and before the summary, `-r`, and CLI errors redacted like log lines.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <sstream>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "cli_testutil.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/logging.h"
#include "ws/progress_display.h"
#include "ws/run_summary.h"

using namespace ws;
using ws::testing::DataDir;
using ws::testing::run;

namespace {

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Display columns before `needle` in `line`.
size_t column_of(const std::string& line, const std::string& needle) {
  const size_t at = line.find(needle);
  REQUIRE(at != std::string::npos);
  return display_width(line.substr(0, at));
}

}  // namespace

TEST_CASE("display width counts wide CJK characters twice and combining marks not at all", "[cli][output]") {
  CHECK(display_width("") == 0);
  CHECK(display_width("Up") == 2);
  CHECK(display_width("Amélie") == 6);               // precomposed é: one column
  CHECK(display_width("Ame\xCC\x81lie") == 6);       // e + combining acute: still six
  CHECK(display_width("千と千尋の神隠し") == 16);    // kanji and hiragana: two each
  CHECK(display_width("기생충") == 6);               // Hangul syllables
  CHECK(display_width("ＡＢ") == 4);                 // fullwidth Latin
  CHECK(display_width("ｱｲ") == 2);                   // halfwidth katakana: one each
  CHECK(display_width("🎬") == 2);
  CHECK(display_width("\xFF\xFE") == 2);             // not UTF-8: a column per byte
  CHECK(display_width("\xE5\x8D") == 2);             // a truncated sequence likewise
}

TEST_CASE("table columns line up with wide titles", "[cli][output]") {
  std::ostringstream out;
  print_table(out, {"title", "year", "via"},
              {{"千と千尋の神隠し", "2001", "plex"}, {"Amélie", "2001", "jf"}, {"Up", "2009", "emby"}});
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 4);
  const size_t year_at = column_of(lines[0], "year");
  const size_t via_at = column_of(lines[0], "via");
  CHECK(year_at == 18);  // the widest title (16 columns) and two spaces
  CHECK(column_of(lines[1], "2001") == year_at);
  CHECK(column_of(lines[2], "2001") == year_at);
  CHECK(column_of(lines[3], "2009") == year_at);
  CHECK(column_of(lines[1], "plex") == via_at);
  CHECK(column_of(lines[3], "emby") == via_at);
}

TEST_CASE("memory prints with one decimal and its unit", "[cli][output]") {
  CHECK(format_mib(89.0) == "89.0 MiB");
  CHECK(format_mib(16.6289) == "16.6 MiB");
  CHECK(format_mib(0) == "0.0 MiB");
  CHECK(format_mib(-1) == "unknown");
}

TEST_CASE("the summary prints its errors first, the table last, and no error the logger printed", "[cli][output]") {
  forget_shown_messages();
  RunSummary summary;
  summary.servers["jf"].fetched = 3;
  summary.servers["jf"].errors = {"jf: GET /Items → 500 Internal Server Error"};
  summary.servers["plex"].errors = {"plex: GET /identity → 401 Unauthorized (check the token)"};
  summary.servers["plex"].refused = "plex: the plan would unmark 40% of its played items";

  std::ostringstream log;
  REQUIRE(setup_logging(0, "warn", "text", &log).ok());
  spdlog::error("plex: GET /identity → 401 Unauthorized (check the token)");
  REQUIRE(setup_logging(0, "warn", "text").ok());

  std::ostringstream out;
  print_summary(out, summary, true, false);
  const std::string text = out.str();
  CHECK(count_of(text, "500 Internal Server Error") == 1);
  CHECK(count_of(text, "401 Unauthorized") == 0);  // the logger showed it already
  CHECK_THAT(text, Catch::Contains("refused: plex: the plan would unmark"));
  const auto lines = lines_of(text);
  REQUIRE(lines.size() == 5);  // two message lines, the header, two servers
  CHECK_THAT(lines[0], Catch::StartsWith("error: jf:") || Catch::StartsWith("refused: "));
  CHECK_THAT(lines[2], Catch::StartsWith("server"));
  CHECK_THAT(lines[4], Catch::StartsWith("plex"));
  forget_shown_messages();
}

TEST_CASE("CLI errors and warnings are redacted as log lines are, and shown once", "[cli][secrets]") {
  forget_shown_messages();
  add_log_secrets({"tok-for-cli-error"});
  std::ostringstream out, err;
  CliContext ctx;
  ctx.out = &out;
  ctx.err = &err;
  CHECK(ctx.fail("my_plex: refused tok-for-cli-error at /library?X-Plex-Token=abc") == kExitFailure);
  ctx.warn("a warning about tok-for-cli-error");
  ctx.warn("a warning about tok-for-cli-error");
  CHECK(err.str() == "error: my_plex: refused *** at /library?X-Plex-Token=***\nwarning: a warning about ***\n");

  SECTION("an error the logger already printed is not printed again, but still fails") {
    std::ostringstream log;
    REQUIRE(setup_logging(0, "warn", "text", &log).ok());
    spdlog::error("jf: GET /System/Info → 401 Unauthorized");
    REQUIRE(setup_logging(0, "warn", "text").ok());
    std::ostringstream err2;
    ctx.err = &err2;
    CHECK(ctx.fail("jf: GET /System/Info → 401 Unauthorized") == kExitFailure);
    CHECK(err2.str().empty());
    CHECK(ctx.fail("another error") == kExitFailure);
    CHECK(err2.str() == "error: another error\n");
  }
  forget_shown_messages();
}

TEST_CASE("a servers.yaml or config.yaml others can read is named in one warning with chmod 600", "[cli][secrets]") {
  DataDir data;
  data.write(data.servers(), "my_plex:\n  type: plex\n  url: http://127.0.0.1:1\n  token: a-plex-token-value\n");
  data.write(data.config(), "log:\n  level: warn\n");
  ::chmod(data.servers().c_str(), 0644);
  ::chmod(data.config().c_str(), 0600);
  auto list = run({"servers:list"});
  REQUIRE(list.code == 0);
  CHECK(count_of(list.err, "chmod 600 " + data.servers().string()) == 1);
  CHECK_THAT(list.err, Catch::Contains("warning: " + data.servers().string() + " is readable by group or others"));

  ::chmod(data.servers().c_str(), 0600);
  auto quiet = run({"servers:list"});
  REQUIRE(quiet.code == 0);
  CHECK(quiet.err.empty());
}

TEST_CASE("the -r flag sends log lines to stdout, and the seed's state:import -vvvrm is accepted", "[cli]") {
  DataDir data;
  // Nobody answers on this control endpoint: the import runs embedded, with no servers.
  data.write(data.config(), "endpoints:\n  control: 'ipc://" + (data.path / "control").string() + "'\n");
  ::chmod(data.config().c_str(), 0600);

  auto plain = run({"-v", "state:import"});
  CHECK(plain.code != kExitUsage);
  CHECK_THAT(plain.out, !Catch::Contains("[info]"));

  auto redirected = run({"state:import", "-vvvrm"});
  INFO(redirected.err);
  CHECK(redirected.code != kExitUsage);
  CHECK_THAT(redirected.out, Catch::Contains("[info] running import embedded"));
  CHECK_THAT(redirected.out, Catch::Contains("peak memory: ") && Catch::Contains(" MiB"));
  CHECK_THAT(redirected.err, !Catch::Contains("[info]"));

  auto help = run({"--help"});
  CHECK_THAT(help.out, Catch::Contains("-r,--redirect-logger"));
}

TEST_CASE("an import error is shown once, before the summary table", "[cli]") {
  // A server that refuses every request: the import fails at once (401 is not retried).
  httplib::Server server;
  server.set_logger([](const httplib::Request&, const httplib::Response&) {});
  server.Get(".*", [](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_content("<html>Unauthorized</html>", "text/html");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread serving([&] { server.listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();

  DataDir data;
  data.write(data.servers(), "my_plex:\n  type: plex\n  url: http://127.0.0.1:" + std::to_string(port) +
                                 "\n  token: plex-token-shown-nowhere\n");
  data.write(data.config(), "endpoints:\n  control: 'ipc://" + (data.path / "control").string() +
                                "'\njobs:\n  max_attempts: 1\n");
  ::chmod(data.servers().c_str(), 0600);
  ::chmod(data.config().c_str(), 0600);
  auto r = run({"state:import", "-r"});  // -r: the logger's lines land in `out` with the rest
  server.stop();
  serving.join();

  INFO("out:\n" << r.out << "\nerr:\n" << r.err);
  CHECK(r.code == kExitFailure);
  // Shown as an error once: by the logger ([error]) or by the CLI (error: ...), not both. (The
  // broker's "[warning] job ... attempt 1 failed: ..." line says something else: which attempt.)
  size_t shown_as_error = 0;
  for (const auto& line : lines_of(r.out + r.err))
    if (line.find("401 Unauthorized") != std::string::npos &&
        (line.rfind("error: ", 0) == 0 || line.find("] [error] ") != std::string::npos))
      ++shown_as_error;
  CHECK(shown_as_error == 1);
  const std::string all = r.out + r.err;
  CHECK_THAT(all, !Catch::Contains("plex-token-shown-nowhere"));
  const size_t error_at = r.out.find("401 Unauthorized");
  const size_t table_at = r.out.find("fetched  matched");
  REQUIRE(error_at != std::string::npos);
  REQUIRE(table_at != std::string::npos);
  CHECK(error_at < table_at);
}
