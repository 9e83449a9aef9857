// ws-ingest: flags -> options -> validate. The job pipeline that gives it work is not built yet;
// until then it checks its configuration and says so.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "ws/config.h"
#include "ws/ingest_options.h"

int main(int argc, char** argv) {
  CLI::App app{"ws-ingest: the watchstate ingest process"};
  CLI11_PARSE(app, argc, argv);

  ws::IngestOptions options;
  options.paths = ws::DataPaths::from_environment();
  auto config = ws::load_config(options.paths.config_file());
  if (!config) {
    std::fprintf(stderr, "ws-ingest: %s\n", config.error().message.c_str());
    return 1;
  }
  options.config = config->config;
  if (auto valid = ws::validate(options); !valid) {
    std::fprintf(stderr, "ws-ingest: %s\n", valid.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "ws-ingest: configuration is valid; the job pipeline is not part of this build yet\n");
  return 1;
}
