// `watchstate webhook:test NAME [--item ID] [--url URL]` (issue 9): sends the webhook server NAME
// would send for a finished play (ws/test_webhook.h) through the running ingest, marked dry-run
// (docs/protocol.md "Events", `dry_run`). Ingest checks it as any webhook (key, type, sender) and
// hands it to the reconciler, which maps it — after a one-item fetch when the state does not
// know the item — and commits nothing; the command prints the decision. The item: --item (the
// server's id), else the item of NAME the state changed last. Exit 1 when ingest or the
// reconciler does not answer or the event is refused or ignored, naming why.
#pragma once

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

void register_webhook_test_command(CLI::App& app, CliContext& ctx);

}  // namespace ws
