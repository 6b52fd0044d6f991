// The status page's files as text, embedded in the compiled binary by Bun's text loader. tsc does not
// know that loader: it sees a stylesheet, an HTML bundle and a script, hence the casts.
// @ts-expect-error: a stylesheet has no type declaration; Bun gives its text.
import cssText from "./page.css" with { type: "text" };
import htmlText from "./page.html" with { type: "text" };
// @ts-expect-error: a plain script has no type declaration; Bun gives its text.
import clientText from "./page.js" with { type: "text" };
import { renderKit } from "./render.ts";

export const PAGE_CSS = cssText as string;
export const PAGE_TEMPLATE = htmlText as unknown as string;
/** The render functions, then the page's own script: the browser renders with the server's code. */
export const PAGE_SCRIPT = `const { ${Object.keys(renderKit()).join(", ")} } = (${renderKit.toString()})();\n${clientText as string}`;
