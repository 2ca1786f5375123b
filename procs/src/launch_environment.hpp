// What a worker_pool tells the program it spawns, and where: private to procs.
//
// The socket is always fd 3. The environment variables below carry the rest;
// docs/procs.md lists them for workers written without worker_session.
#pragma once

namespace handoff::procs::detail {

/// The worker's end of its socket pair.
inline constexpr int worker_fd = 3;

/// The pid of the pool's process: a worker whose parent is no longer it ends at once.
inline constexpr char parent_pid_variable[] = "HANDOFF_WORKER_PARENT_PID";
/// The worker's slot in the pool, 0 to workers - 1.
inline constexpr char worker_id_variable[] = "HANDOFF_WORKER_ID";
/// How often to send a heartbeat, in milliseconds.
inline constexpr char heartbeat_variable[] = "HANDOFF_WORKER_HEARTBEAT_MS";
/// The longest payload the pool accepts, in bytes.
inline constexpr char max_payload_variable[] = "HANDOFF_WORKER_MAX_PAYLOAD";

}  // namespace handoff::procs::detail
