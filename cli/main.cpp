// `watchstate`: the command line. Everything lives in ws_cli so tests can run commands.
#include "ws/cli.h"

int main(int argc, char** argv) { return ws::run_cli(argc, argv); }
