// ws-exporter: takes export jobs from the reconciler and writes watch state to media servers
// (ws/worker_main.h).
#include "ws/exporter.h"
#include "ws/worker_main.h"

int main(int argc, char** argv) {
  return ws::run_worker_main<ws::Exporter, ws::ExporterOptions>(
      argc, argv,
      {"ws-exporter", "takes export jobs from the reconciler and writes watch state to media servers", "exporting"});
}
