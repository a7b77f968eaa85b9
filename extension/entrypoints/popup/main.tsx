import { render } from "preact";
import { App } from "../../popup/App";

const root = document.getElementById("app");
if (root) render(<App />, root);
