package io.coedge.transport;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.driver.MediaDriver;
import io.aeron.exceptions.DriverTimeoutException;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * One process's Aeron: an embedded media driver in its own directory (or an external one) and a client.
 * Also builds the channel strings so MTU and term length are set in one place.
 *
 * <p>In the {@code INVOKER} threading mode the embedded driver has no thread of its own to wake: the threads that
 * send or wait run its duty cycle themselves ({@link #driverDutyCycle}), right when there is something to move,
 * and one background thread runs it at the relaxed pace for what nobody waits for (heartbeats, timers, client
 * commands). A frame then leaves on the sender's thread as it is written and is taken off the socket by the
 * thread waiting for it, with no thread wake-up on either side.
 */
public final class TransportNode implements AutoCloseable {
    private final TransportContext ctx;
    private final MediaDriver driver;
    private final Aeron aeron;
    private final Thread[] driverThreads;
    /** Threads of this process waiting for a message now: the embedded driver polls often while it is not 0. */
    private final ExpectingIdleStrategy.Expectation expecting;
    /** The embedded driver's agents in INVOKER mode, else null. */
    private final AgentInvoker driverInvoker;
    /** One thread at a time runs the invoker's duty cycle: its agents are not thread safe. */
    private final ReentrantLock driverLock;
    /** Runs the invoker's duty cycle at the relaxed pace in INVOKER mode, else null. */
    private final DriverDutyThread dutyThread;

    private TransportNode(TransportContext ctx, MediaDriver driver, Aeron aeron, Thread[] driverThreads,
                          ExpectingIdleStrategy.Expectation expecting, ReentrantLock driverLock, DriverDutyThread dutyThread) {
        this.ctx = ctx;
        this.driver = driver;
        this.aeron = aeron;
        this.driverThreads = driverThreads;
        this.expecting = expecting;
        this.driverInvoker = dutyThread == null ? null : driver.sharedAgentInvoker();
        this.driverLock = driverLock;
        this.dutyThread = dutyThread;
    }

    /**
     * Runs an INVOKER-mode driver's duty cycle at the relaxed pace until closed, or only as a backup every
     * {@value #BACKUP_PARK_MS} ms while a loop of the process runs it ({@link #driverDutyCycleInLoop}).
     */
    private static final class DriverDutyThread extends Thread {
        private final AgentInvoker invoker;
        private final ReentrantLock lock;
        private final IdleStrategy idle = driverIdleStrategy();
        private volatile boolean running = true;
        private volatile boolean backupOnly;

        DriverDutyThread(String name, AgentInvoker invoker, ReentrantLock lock) {
            super("coedge-driver-" + name);
            this.invoker = invoker;
            this.lock = lock;
            setDaemon(true);
        }

        @Override
        public void run() {
            // Its own thread, parking a millisecond or more at a time: its wake-ups may join other threads'.
            TimerSlack.use(ExpectingIdleStrategy.RELAXED_SLACK_NS);
            while (running && !invoker.isClosed()) {
                int work = dutyCycle(invoker, lock);
                if (backupOnly) {
                    java.util.concurrent.locks.LockSupport.parkNanos(BACKUP_PARK_NS);
                } else {
                    idle.idle(work);
                }
            }
        }

        void shutdown() {
            running = false;
            java.util.concurrent.locks.LockSupport.unpark(this);
            try {
                join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Park of the background thread while a loop of the process runs the duty cycle. */
    static final long BACKUP_PARK_MS = 20;
    private static final long BACKUP_PARK_NS = TimeUnit.MILLISECONDS.toNanos(BACKUP_PARK_MS);

    private static int dutyCycle(AgentInvoker invoker, ReentrantLock lock) {
        if (!lock.tryLock()) {
            return 0; // another thread is running it right now
        }
        try {
            return invoker.invoke();
        } finally {
            lock.unlock();
        }
    }

    /** Starts the embedded driver (unless an external one is configured) and connects a client to it. */
    public static TransportNode start(TransportContext ctx) {
        ctx.conclude();
        MediaDriver driver = null;
        String dir = ctx.aeronDir();
        java.util.List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExpectingIdleStrategy.Expectation expecting = new ExpectingIdleStrategy.Expectation();
        // one strategy per driver thread: idle strategies keep per-thread state
        java.util.function.Supplier<IdleStrategy> driverIdle = () -> new ExpectingIdleStrategy(driverIdleStrategy(), expecting);
        java.util.concurrent.ThreadFactory recording = r -> {
            Thread t = new Thread(r);
            threads.add(t);
            return t;
        };
        ReentrantLock driverLock = new ReentrantLock();
        DriverDutyThread dutyThread = null;
        if (ctx.embeddedDriver()) {
            new File(ctx.baseDir()).mkdirs();
            long previousOwner = driverOwnerPid(Path.of(dir));
            // The directory of a process that died without closing it (SIGKILL, a crash, the OOM killer): Aeron
            // would take it for a running driver until its heartbeat is 10 s old, and a worker restarted at once
            // (by systemd, say) would be refused as a second process of the same name.
            boolean ownerGone = previousOwner > 0 && ProcessHandle.of(previousOwner).map(ph -> !ph.isAlive()).orElse(true);
            MediaDriver.Context dc = new MediaDriver.Context()
                    .aeronDirectoryName(dir)
                    .threadingMode(ctx.threadingMode())
                    .dirDeleteOnStart(ownerGone)
                    .dirDeleteOnShutdown(true)
                    .warnIfDirectoryExists(false)
                    .publicationTermBufferLength(ctx.termLengthBytes())
                    .ipcTermBufferLength(ctx.termLengthBytes())
                    .termBufferSparseFile(true)
                    .initialWindowLength(ctx.receiverWindowBytes())
                    .socketRcvbufLength(ctx.receiverWindowBytes())
                    .socketSndbufLength(ctx.receiverWindowBytes())
                    .sharedIdleStrategy(driverIdle.get())
                    .senderIdleStrategy(driverIdle.get())
                    .receiverIdleStrategy(driverIdle.get())
                    .conductorIdleStrategy(driverIdle.get())
                    .sharedNetworkIdleStrategy(driverIdle.get())
                    .sharedThreadFactory(recording)
                    .sharedNetworkThreadFactory(recording)
                    .senderThreadFactory(recording)
                    .receiverThreadFactory(recording)
                    .conductorThreadFactory(recording)
                    // A peer that vanished frees its images quickly, so a restarted worker reconnects fast.
                    .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
                    .publicationConnectionTimeoutNs(TimeUnit.SECONDS.toNanos(2))
                    .publicationUnblockTimeoutNs(TimeUnit.SECONDS.toNanos(4))
                    .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(3))
                    .errorHandler(t -> System.err.println("[" + ctx.name() + "] media driver: " + t));
            try {
                driver = MediaDriver.launch(dc);
            } catch (io.aeron.driver.exceptions.ActiveDriverException e) {
                throw new IllegalStateException("another process named '" + ctx.name() + "'"
                        + (previousOwner > 0 ? " (pid " + previousOwner + ")" : "") + " is running with directory "
                        + dir + "; give this one another --name, or stop the other first");
            }
            if (ctx.threadingMode() == io.aeron.driver.ThreadingMode.INVOKER) {
                // before the client connects: it waits for the driver to answer
                dutyThread = new DriverDutyThread(ctx.name(), driver.sharedAgentInvoker(), driverLock);
                dutyThread.start();
            }
        }
        try {
            Aeron.Context ac = new Aeron.Context()
                    .aeronDirectoryName(dir)
                    .errorHandler(t -> System.err.println("[" + ctx.name() + "] aeron: " + t));
            Aeron aeron = Aeron.connect(ac);
            return new TransportNode(ctx, driver, aeron, threads.toArray(Thread[]::new), expecting, driverLock, dutyThread);
        } catch (DriverTimeoutException e) {
            if (dutyThread != null) {
                dutyThread.shutdown();
            }
            if (driver != null) {
                driver.close();
            }
            throw new IllegalStateException("no Aeron media driver is running in " + dir
                    + "; start one there or leave " + TransportConfiguration.EXTERNAL_DRIVER_DIR_PROP + " unset to embed one");
        }
    }

    /**
     * The process id recorded in the Aeron directory {@code dir} by the media driver that made it, or -1 when there
     * is no such directory or it cannot be read.
     */
    static long driverOwnerPid(Path dir) {
        Path cnc = dir.resolve(CncFileDescriptor.CNC_FILE);
        if (!Files.isRegularFile(cnc)) {
            return -1;
        }
        try (FileChannel ch = FileChannel.open(cnc, StandardOpenOption.READ)) {
            if (ch.size() < CncFileDescriptor.META_DATA_LENGTH) {
                return -1;
            }
            var meta = CncFileDescriptor.createMetaDataBuffer(ch.map(FileChannel.MapMode.READ_ONLY, 0,
                    CncFileDescriptor.META_DATA_LENGTH));
            if (meta.getInt(CncFileDescriptor.cncVersionOffset(0)) != CncFileDescriptor.CNC_VERSION) {
                return -1; // another Aeron version's layout: leave it to Aeron's own check
            }
            return meta.getLong(CncFileDescriptor.pidOffset(0));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Wakes this process's embedded driver threads from their idle park, so that what was just written to a
     * publication goes out now rather than when the driver next wakes by itself (up to its park, 1 ms by
     * default). Call after offering a message; a no-op with an external driver. One system call at most, except in
     * INVOKER mode, where the calling thread sends what was written itself.
     */
    public void wakeDriver() {
        if (driverInvoker != null) {
            // INVOKER mode: send it on this thread now, all of it the flow control window allows: a duty cycle
            // sends about an MTU per stream, and what is left would wait for the background thread's next cycle.
            for (int i = 0; i < MAX_SEND_CYCLES && driverDutyCycle() > 0; i++) {
                Thread.onSpinWait();
            }
            return;
        }
        for (Thread t : driverThreads) {
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
    }

    /**
     * Duty cycles at most per {@link #wakeDriver} in INVOKER mode: a 4 MiB message in 1408-byte datagrams and some
     * more; a bound only in case the driver kept finding other work.
     */
    private static final int MAX_SEND_CYCLES = 4096;

    /**
     * One duty cycle of the embedded driver on the calling thread, in INVOKER mode (see the class comment): moves
     * frames between the sockets and the log buffers. For loops that wait for a message or for back pressure to
     * clear; returns the work done (0 when there was none, another thread is running the cycle, or the driver has
     * threads of its own).
     */
    public int driverDutyCycle() {
        return driverInvoker == null ? 0 : dutyCycle(driverInvoker, driverLock);
    }

    /**
     * Says that a loop of this process (a worker's control loop) calls {@link #driverDutyCycle} on every turn, parking
     * at most a few milliseconds between turns, from now ({@code true}) or no longer ({@code false}). Meanwhile
     * the background thread of an INVOKER driver only backs it up, waking every {@value #BACKUP_PARK_MS} ms instead
     * of every millisecond: on a board with a core per device each wake-up takes the core from the compute
     * thread. No effect in the other threading modes.
     */
    public void driverDutyCycleInLoop(boolean inLoop) {
        if (dutyThread != null) {
            dutyThread.backupOnly = inLoop;
            java.util.concurrent.locks.LockSupport.unpark(dutyThread);
        }
    }

    /** True when the embedded driver runs on the threads of this process that send and wait (INVOKER mode). */
    public boolean invokesDriver() {
        return driverInvoker != null;
    }

    /**
     * Marks the start of a wait for a message (a halo, a gathered map) on the calling thread: until the matching
     * {@link #expectDone}, the embedded driver polls often at first and less as the wait grows
     * ({@link ExpectingIdleStrategy}) instead of sleeping its relaxed park, so a frame due soon is taken off the
     * socket as soon as it lands. Wakes the driver if it is the first waiter.
     */
    public void expect() {
        if (driverInvoker != null) {
            return; // the waiting thread runs the driver itself
        }
        if (expecting.begin()) {
            wakeDriver();
        }
    }

    /** Ends a wait begun with {@link #expect}. */
    public void expectDone() {
        if (driverInvoker != null) {
            return;
        }
        expecting.end();
    }

    public Aeron aeron() {
        return aeron;
    }

    public TransportContext context() {
        return ctx;
    }

    /** The Aeron directory (for counters readers). */
    public String aeronDir() {
        return ctx.aeronDir();
    }

    /**
     * A UDP unicast channel to (for publications) or on (for subscriptions) {@code host:port}; loopback
     * endpoints get the loopback MTU.
     */
    public String udpChannel(String endpoint) {
        return "aeron:udp?endpoint=" + endpoint + "|mtu=" + ctx.udpMtuBytes(endpoint) + "|term-length=" + ctx.termLengthBytes();
    }

    /** The IPC channel for devices inside this process. */
    public String ipcChannel() {
        return "aeron:ipc?mtu=" + ctx.ipcMtuBytes() + "|term-length=" + ctx.termLengthBytes();
    }

    /** An idle strategy for waits on the caller's thread, as {@value TransportConfiguration#IDLE_PROP} says. */
    public static IdleStrategy waitIdleStrategy() {
        return idleStrategy(System.getProperty(TransportConfiguration.IDLE_PROP, TransportConfiguration.IDLE_DEFAULT));
    }

    /** An idle strategy for the embedded driver's threads, as {@value TransportConfiguration#DRIVER_IDLE_PROP} says. */
    public static IdleStrategy driverIdleStrategy() {
        String name = System.getProperty(TransportConfiguration.DRIVER_IDLE_PROP);
        if (name == null || name.isBlank()) {
            name = System.getProperty(TransportConfiguration.IDLE_PROP, TransportConfiguration.DRIVER_IDLE_DEFAULT);
        }
        return idleStrategy(name);
    }

    /** The idle strategy named {@code name}: adaptive, backoff, yield, spin, sleep, or sleep:MICROS. */
    public static IdleStrategy idleStrategy(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.startsWith("sleep:")) {
            long us;
            try {
                us = Long.parseLong(n.substring(6));
            } catch (NumberFormatException e) {
                us = -1;
            }
            if (us < 1 || us > 1_000_000) {
                throw new IllegalArgumentException("idle strategy '" + name + "': sleep:MICROS needs 1 to 1000000 microseconds");
            }
            return new org.agrona.concurrent.SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(us));
        }
        return switch (n) {
            case "adaptive" -> AdaptiveIdleStrategy.standard();
            case "backoff" -> new BackoffIdleStrategy(20, 50, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            case "yield" -> new org.agrona.concurrent.YieldingIdleStrategy();
            case "spin" -> new org.agrona.concurrent.BusySpinIdleStrategy();
            case "sleep" -> new org.agrona.concurrent.SleepingIdleStrategy(TimeUnit.MICROSECONDS.toNanos(100));
            default -> throw new IllegalArgumentException(TransportConfiguration.IDLE_PROP + "=" + name
                    + " is not one of adaptive, backoff, yield, spin, sleep, sleep:MICROS");
        };
    }

    @Override
    public void close() {
        aeron.close();
        if (dutyThread != null) {
            dutyThread.shutdown();
        }
        if (driver != null) {
            driver.close();
        }
    }
}
