// PM2 process file: pm2 start ecosystem.config.js (see README, "Deployment").
// CommonJS on purpose: PM2 require()s this file.
module.exports = {
  apps: [
    {
      name: 'video-compressor',
      script: 'dist/cli.js',
      args: 'start',
      cwd: __dirname,
      instances: 1,
      exec_mode: 'fork',
      autorestart: true,
      watch: false,
      max_memory_restart: '2G',
      // The daemon sends process.send('ready') once it listens and polls.
      wait_ready: true,
      listen_timeout: 15000,
      // Above SHUTDOWN_TIMEOUT (10 s): the running job is released before PM2 kills the process.
      kill_timeout: 15000,
      error_file: './logs/pm2-error.log',
      out_file: './logs/pm2-out.log',
      log_date_format: 'YYYY-MM-DD HH:mm:ss Z',
      env: { NODE_ENV: 'production', LOG_PRETTY: 'false' },
    },
  ],
};
