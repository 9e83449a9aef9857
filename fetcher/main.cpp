// ws-fetcher: takes fetch jobs from the reconciler and reads media servers (ws/worker_main.h).
#include "ws/fetcher.h"
#include "ws/worker_main.h"

int main(int argc, char** argv) {
  return ws::run_worker_main<ws::Fetcher, ws::FetcherOptions>(
      argc, argv, {"ws-fetcher", "takes fetch jobs from the reconciler and reads media servers", "fetching"});
}
