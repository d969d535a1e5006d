package io.coedge.transport;

import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * Every transport setting in one place: its system property, its default, and what it does. A
 * {@link TransportContext} starts from these and can override each one in code; the CLI maps its
 * options onto the context.
 */
public final class TransportConfiguration {
    private TransportConfiguration() {
    }

    /**
     * Base directory for the per-process Aeron directories (embedded drivers). Default: {@code /dev/shm/coedge-USER}
     * where /dev/shm exists, else {@code java.io.tmpdir/coedge-USER}. {@code coedge stat} looks here.
     */
    public static final String BASE_DIR_PROP = "coedge.transport.baseDir";

    /**
     * Directory of an external Aeron media driver to use instead of an embedded one. Unset (default): each
     * process embeds its own driver in {@code baseDir/NAME}.
     */
    public static final String EXTERNAL_DRIVER_DIR_PROP = "coedge.transport.externalDriverDir";

    /**
     * Threading of the embedded driver: SHARED (one thread, the default of an application's coordinator),
     * INVOKER (the default of a worker: the driver runs on the threads that send and wait, see
     * {@link TransportNode}), SHARED_NETWORK, DEDICATED. INVOKER is not the coordinator's default because its
     * waits run on the application's threads, and an interrupt that lands while such a thread is inside a socket
     * call closes the socket (and with it the driver) for good.
     */
    public static final String THREADING_MODE_PROP = "coedge.transport.threadingMode";
    public static final String THREADING_MODE_DEFAULT = "SHARED";
    /** A worker's threading mode when {@value #THREADING_MODE_PROP} is not set: its own threads are never interrupted. */
    public static final String WORKER_THREADING_MODE_DEFAULT = "INVOKER";

    /**
     * Term buffer length for publications, bytes (power of two, 64 KiB..1 GiB). Three terms are mapped per
     * publication on each side; halos and large payloads are chunked by CoEdge, so this need not hold a whole halo.
     */
    public static final String TERM_LENGTH_PROP = "coedge.transport.termLengthBytes";
    public static final int TERM_LENGTH_DEFAULT = 4 * 1024 * 1024;

    /**
     * MTU for UDP streams, bytes (multiple of 32, at most 65504). Each halo chunk is one frame of at most this
     * size. Aeron's default 1408 suits a 1500-byte Ethernet; loopback can go larger.
     */
    public static final String UDP_MTU_PROP = "coedge.transport.udpMtuBytes";
    public static final int UDP_MTU_DEFAULT = 1408;

    /**
     * MTU for UDP streams to and from loopback addresses (127.0.0.0/8, ::1, localhost), bytes (multiple of 32,
     * at most 65504): local worker processes on one machine. The loopback interface takes 64 KiB datagrams, so
     * a halo of tens of KiB is one datagram instead of dozens of 1408-byte ones: each datagram costs a
     * send and a receive system call in two media drivers, which on a small machine run on the cores the
     * devices compute on. Every process derives the same MTU from the endpoint, so both ends agree.
     */
    public static final String LOOPBACK_MTU_PROP = "coedge.transport.loopbackMtuBytes";
    public static final int LOOPBACK_MTU_DEFAULT = 65504;

    /**
     * Receiver window for UDP streams, bytes: how much a sender may have in flight before the receiver's
     * status message. Also the socket buffer size asked for (the OS may cap it: net.core.rmem_max). Aeron's
     * 128 KiB default throttles halos of a megabyte to several round trips; capped at term length / 2.
     */
    public static final String RECEIVER_WINDOW_PROP = "coedge.transport.receiverWindowBytes";
    public static final int RECEIVER_WINDOW_DEFAULT = 2 * 1024 * 1024;

    /** MTU for IPC streams, bytes (multiple of 32, at most 65504). Large frames cut per-chunk overhead in memory. */
    public static final String IPC_MTU_PROP = "coedge.transport.ipcMtuBytes";
    public static final int IPC_MTU_DEFAULT = 65504;

    /** How long a sender waits for a subscriber to connect, or for back pressure to clear, before giving up. */
    public static final String SEND_TIMEOUT_PROP = "coedge.transport.sendTimeoutMs";
    public static final long SEND_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(5);

    /** How long a device waits for a neighbour's halo (or the coordinator for a reply) before failing the request. */
    public static final String RECEIVE_TIMEOUT_PROP = "coedge.transport.receiveTimeoutMs";
    public static final long RECEIVE_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(30);

    /** How long connecting to a worker (HELLO answered) may take before it is reported unreachable. */
    public static final String CONNECT_TIMEOUT_PROP = "coedge.transport.connectTimeoutMs";
    public static final long CONNECT_TIMEOUT_DEFAULT_NS = TimeUnit.SECONDS.toNanos(5);

    /** Interval of heartbeats between coordinator and workers. */
    public static final String HEARTBEAT_INTERVAL_PROP = "coedge.transport.heartbeatIntervalMs";
    public static final long HEARTBEAT_INTERVAL_DEFAULT_NS = TimeUnit.MILLISECONDS.toNanos(500);

    /** Largest control message, bytes (input bands and results are chunked to fit). */
    public static final String CONTROL_MAX_MESSAGE_PROP = "coedge.transport.control.maxMessageBytes";
    public static final int CONTROL_MAX_MESSAGE_DEFAULT = 256 * 1024;

    /**
     * How waiting threads (callers waiting for halos or replies, a worker's control loop) idle: {@code adaptive}
     * (default: spin, yield, then park an eighth of the time already waited, 1 µs..1 ms: quick for short waits,
     * cheap for long ones), {@code backoff} (spin, yield, then park 1..100 µs: an idle thread wakes 10,000 times a
     * second), {@code yield} (Thread.yield: low latency, one busy
     * core per waiting thread), {@code spin} (busy spin: lowest latency, only with a core to spare),
     * {@code sleep} (park 100 µs) or {@code sleep:MICROS} (park that long).
     */
    public static final String IDLE_PROP = "coedge.transport.idle";
    public static final String IDLE_DEFAULT = "adaptive";

    /**
     * How the embedded media driver's threads idle: {@code sleep:1000} (default: park 1 ms, as Aeron's own
     * driver backs off to) or any name {@value #IDLE_PROP} takes. When unset, an explicit {@value #IDLE_PROP}
     * applies to the driver too. A driver's duty cycle polls its sockets with system calls and finds a little
     * work (timers, status messages) every millisecond or so, so a strategy that parks shorter after each bit
     * of work woke it thousands of times a second: 5% of a core per driver, taken from the computing threads
     * on a small board. While a thread of the process waits for a halo or a gathered map the driver polls
     * instead ({@link ExpectingIdleStrategy}: spinning for the first 50 µs of the wait, then parking an eighth of
     * the time waited), so a frame due soon is not held up by the park; {@code spin} or {@code yield} here only
     * make sense with a core to spare per driver.
     */
    public static final String DRIVER_IDLE_PROP = "coedge.transport.driverIdle";
    public static final String DRIVER_IDLE_DEFAULT = "sleep:1000";

    /** Stream id of the control stream on a worker's endpoint. */
    public static final int CONTROL_STREAM_ID = 1001;
    /** Stream id of the halo stream on a worker's endpoint. */
    public static final int HALO_STREAM_ID = 1002;
    /** Stream id of the coordinator's reply stream. */
    public static final int REPLY_STREAM_ID = 1003;

    static String userName() {
        String u = System.getProperty("user.name", "user");
        return u.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    /** The base directory from {@value #BASE_DIR_PROP} or its default. */
    public static String baseDir() {
        String d = System.getProperty(BASE_DIR_PROP);
        if (d != null && !d.isBlank()) {
            return d;
        }
        File shm = new File("/dev/shm");
        String parent = shm.isDirectory() && shm.canWrite() ? shm.getPath() : System.getProperty("java.io.tmpdir");
        return new File(parent, "coedge-" + userName()).getPath();
    }

    static long millisPropertyNs(String prop, long defaultNs) {
        String v = System.getProperty(prop);
        if (v == null || v.isBlank()) {
            return defaultNs;
        }
        try {
            return TimeUnit.MILLISECONDS.toNanos(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + prop + "=" + v + " is not a whole number of milliseconds");
        }
    }

    static int intProperty(String prop, int def) {
        String v = System.getProperty(prop);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + prop + "=" + v + " is not a whole number");
        }
    }
}
