/** The signed-in user's API tokens. */
export { TokensPage } from "./TokensPage";
