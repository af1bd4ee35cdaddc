/**
 * Kept while callers move to server/broadcast/ (issue 13): the same names as before, from there. `Broadcaster`
 * here is still the socket.io server's (`new Broadcaster()`, `attach(io)`); code that must take any
 * broadcaster (a worker's too) imports the `Broadcaster` interface from "./broadcast".
 */
export { SocketIoBroadcaster as Broadcaster } from "./broadcast/socket-io";
export { boardRoom, runRoom, siteRoom, type ClientToServerEvents, type JoinAck, type ServerToClientEvents, type SiteRevisionEvent } from "./broadcast/types";
