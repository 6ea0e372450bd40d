// PM2 process file: `pm2 start ecosystem.config.js` from the install directory (docs/operations.md).
//
// An ES module, like the rest of the package ("type": "module"), so `module.exports` does not exist
// here. PM2 loads the file with require(); Node >= 20.19 (and >= 22.12) loads an ES module through
// require() and hands PM2 the module namespace, whose `apps` export is what PM2 reads.
// test/e2e/pm2.test.ts runs this very file under PM2.

export const apps = [
  {
    name: 'video-compressor',
    script: 'dist/cli.js',
    args: 'start',
    // The daemon reads .env and resolves storage/ and logs/ against its working directory.
    cwd: import.meta.dirname,
    instances: 1,
    // One encoder per machine: FFmpeg already uses every core; cluster mode would only add claims.
    exec_mode: 'fork',
    autorestart: true,
    watch: false,
    max_memory_restart: '2G',
    // V8 sizes its heap for throughput by default: the young generation grows from 1 MB to 32 MB
    // under the daemon's steady trickle of allocations and the old generation runs up to about twice
    // its live size between collections; both shrink back only when V8 judges the process idle. That
    // swung the daemon's RSS by up to ±15 % around ~130 MB with no leak behind it (heap snapshots
    // after 20 and 200 jobs: no retained growth; see test/chaos/memory.test.ts). Its JavaScript only
    // orchestrates (the CPU work is FFmpeg's), so memory is worth more than JS speed here: a 2 MB
    // young generation and conservative old-generation growth. Measured over 200 jobs: RSS ~105-115 MB
    // instead of ~130-155 MB, for ~0.35 s more GC pause in total. The chaos memory scenario spawns the
    // daemon with these very arguments.
    node_args: ['--optimize-for-size'],
    // A crash loop (bad .env, missing storage) backs off instead of restarting 15 times a second.
    exp_backoff_restart_delay: 200,
    // The daemon sends process.send('ready') once it listens and polls.
    wait_ready: true,
    listen_timeout: 15000,
    // `pm2 stop` sends SIGINT (PM2 7 has no per-app signal; the daemon treats SIGINT and SIGTERM
    // alike): the daemon aborts FFmpeg and releases the running job itself. Signalling the whole
    // process tree (PM2's default) would also hit FFmpeg, whose own exit could then be recorded as a
    // failed attempt before the daemon's shutdown releases the job.
    treekill: false,
    // Above the daemon's own deadline (SHUTDOWN_TIMEOUT 10 s + 2 s): PM2's SIGKILL is the last resort.
    // Raise it with SHUTDOWN_TIMEOUT.
    kill_timeout: 15000,
    // Daemon logs: logs/app.<date>.<n>.log, rotated by the daemon. PM2 keeps stdout/stderr here too
    // (start-up errors land only there); rotate them with pm2-logrotate (docs/operations.md).
    error_file: './logs/pm2-error.log',
    out_file: './logs/pm2-out.log',
    merge_logs: true,
    log_date_format: 'YYYY-MM-DD HH:mm:ss Z',
    env: { NODE_ENV: 'production', LOG_PRETTY: 'false' },
  },
];

export default { apps };
