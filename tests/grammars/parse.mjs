// Parse LogQL and TraceQL expressions with Grafana's lezer grammars.
// stdin: JSON [{"lang": "logql"|"traceql", "expr": "..."}]; stdout: JSON [{"ok": bool, "error": "..."}]
import { parser as logql } from "@grafana/lezer-logql";
import { parser as traceql } from "@grafana/lezer-traceql";

const parsers = { logql, traceql };
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(({ lang, expr }) => {
    const tree = parsers[lang].parse(expr);
    const errors = [];
    tree.iterate({
      enter: (node) => {
        if (node.type.isError) errors.push(`error at ${node.from}: '${expr.slice(Math.max(0, node.from - 10), node.to + 10)}'`);
      },
    });
    return { ok: errors.length === 0, error: errors.join("; "), top: tree.topNode.firstChild?.name ?? null };
  });
  process.stdout.write(JSON.stringify(results));
});
