import { render } from "preact";
import { Options } from "../../popup/Options";

const root = document.getElementById("app");
if (root) render(<Options />, root);
