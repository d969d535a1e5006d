package io.coedge.transport;

import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.util.Locale;

/**
 * Settings of one process's transport: which driver, where, and the timeouts. Fluent setters; call
 * {@link #conclude()} (done by {@link TransportNode#start}) to validate. Defaults come from
 * {@link TransportConfiguration}.
 */
public final class TransportContext implements Cloneable {
    private String name = "coedge";
    private String baseDir = TransportConfiguration.baseDir();
    private String externalDriverDir = System.getProperty(TransportConfiguration.EXTERNAL_DRIVER_DIR_PROP);
    private String threadingMode = System.getProperty(TransportConfiguration.THREADING_MODE_PROP,
            TransportConfiguration.THREADING_MODE_DEFAULT);
    private boolean threadingModeChosen = System.getProperty(TransportConfiguration.THREADING_MODE_PROP) != null;
    private int termLengthBytes = TransportConfiguration.intProperty(TransportConfiguration.TERM_LENGTH_PROP,
            TransportConfiguration.TERM_LENGTH_DEFAULT);
    private int udpMtuBytes = TransportConfiguration.intProperty(TransportConfiguration.UDP_MTU_PROP,
            TransportConfiguration.UDP_MTU_DEFAULT);
    private int loopbackMtuBytes = TransportConfiguration.intProperty(TransportConfiguration.LOOPBACK_MTU_PROP,
            TransportConfiguration.LOOPBACK_MTU_DEFAULT);
    private int ipcMtuBytes = TransportConfiguration.intProperty(TransportConfiguration.IPC_MTU_PROP,
            TransportConfiguration.IPC_MTU_DEFAULT);
    private int receiverWindowBytes = TransportConfiguration.intProperty(TransportConfiguration.RECEIVER_WINDOW_PROP,
            TransportConfiguration.RECEIVER_WINDOW_DEFAULT);
    private long sendTimeoutNs = TransportConfiguration.millisPropertyNs(TransportConfiguration.SEND_TIMEOUT_PROP,
            TransportConfiguration.SEND_TIMEOUT_DEFAULT_NS);
    private long receiveTimeoutNs = TransportConfiguration.millisPropertyNs(TransportConfiguration.RECEIVE_TIMEOUT_PROP,
            TransportConfiguration.RECEIVE_TIMEOUT_DEFAULT_NS);
    private long connectTimeoutNs = TransportConfiguration.millisPropertyNs(TransportConfiguration.CONNECT_TIMEOUT_PROP,
            TransportConfiguration.CONNECT_TIMEOUT_DEFAULT_NS);
    private long heartbeatIntervalNs = TransportConfiguration.millisPropertyNs(TransportConfiguration.HEARTBEAT_INTERVAL_PROP,
            TransportConfiguration.HEARTBEAT_INTERVAL_DEFAULT_NS);
    private int controlMaxMessageBytes = TransportConfiguration.intProperty(TransportConfiguration.CONTROL_MAX_MESSAGE_PROP,
            TransportConfiguration.CONTROL_MAX_MESSAGE_DEFAULT);
    private boolean concluded;

    /** Name of this process (worker name); also the name of its Aeron directory under the base directory. */
    public TransportContext name(String name) {
        this.name = name;
        return this;
    }

    public String name() {
        return name;
    }

    public TransportContext baseDir(String dir) {
        this.baseDir = dir;
        return this;
    }

    public String baseDir() {
        return baseDir;
    }

    /** Use the external driver in {@code dir} instead of embedding one; null to embed. */
    public TransportContext externalDriverDir(String dir) {
        this.externalDriverDir = dir;
        return this;
    }

    public String externalDriverDir() {
        return externalDriverDir;
    }

    public TransportContext threadingMode(String mode) {
        this.threadingMode = mode;
        this.threadingModeChosen = true;
        return this;
    }

    /** Sets the threading mode unless one was chosen (by {@link #threadingMode(String)} or the system property). */
    public TransportContext defaultThreadingMode(String mode) {
        if (!threadingModeChosen) {
            this.threadingMode = mode;
        }
        return this;
    }

    public ThreadingMode threadingMode() {
        return ThreadingMode.valueOf(threadingMode.toUpperCase(Locale.ROOT));
    }

    public TransportContext termLengthBytes(int bytes) {
        this.termLengthBytes = bytes;
        return this;
    }

    public int termLengthBytes() {
        return termLengthBytes;
    }

    public TransportContext udpMtuBytes(int bytes) {
        this.udpMtuBytes = bytes;
        return this;
    }

    public int udpMtuBytes() {
        return udpMtuBytes;
    }

    /** MTU of UDP streams whose endpoint is a loopback address (see {@link TransportConfiguration#LOOPBACK_MTU_PROP}). */
    public TransportContext loopbackMtuBytes(int bytes) {
        this.loopbackMtuBytes = bytes;
        return this;
    }

    public int loopbackMtuBytes() {
        return loopbackMtuBytes;
    }

    /** The MTU of a UDP stream on {@code host:port}: {@link #loopbackMtuBytes()} for loopback hosts, else {@link #udpMtuBytes()}. */
    public int udpMtuBytes(String endpoint) {
        int colon = endpoint.lastIndexOf(':');
        String host = colon > 0 ? endpoint.substring(0, colon) : endpoint;
        boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
        return loopback ? loopbackMtuBytes : udpMtuBytes;
    }

    public TransportContext ipcMtuBytes(int bytes) {
        this.ipcMtuBytes = bytes;
        return this;
    }

    public int ipcMtuBytes() {
        return ipcMtuBytes;
    }

    public TransportContext receiverWindowBytes(int bytes) {
        this.receiverWindowBytes = bytes;
        return this;
    }

    /** The receiver window actually used: the setting, at most half a term. */
    public int receiverWindowBytes() {
        return Math.min(receiverWindowBytes, termLengthBytes / 2);
    }

    public TransportContext sendTimeoutNs(long ns) {
        this.sendTimeoutNs = ns;
        return this;
    }

    public long sendTimeoutNs() {
        return sendTimeoutNs;
    }

    public TransportContext receiveTimeoutNs(long ns) {
        this.receiveTimeoutNs = ns;
        return this;
    }

    public long receiveTimeoutNs() {
        return receiveTimeoutNs;
    }

    public TransportContext connectTimeoutNs(long ns) {
        this.connectTimeoutNs = ns;
        return this;
    }

    public long connectTimeoutNs() {
        return connectTimeoutNs;
    }

    public TransportContext heartbeatIntervalNs(long ns) {
        this.heartbeatIntervalNs = ns;
        return this;
    }

    public long heartbeatIntervalNs() {
        return heartbeatIntervalNs;
    }

    public TransportContext controlMaxMessageBytes(int bytes) {
        this.controlMaxMessageBytes = bytes;
        return this;
    }

    public int controlMaxMessageBytes() {
        return controlMaxMessageBytes;
    }

    /** The Aeron directory this process uses. */
    public String aeronDir() {
        return externalDriverDir != null && !externalDriverDir.isBlank() ? externalDriverDir
                : new File(baseDir, name).getPath();
    }

    public boolean embeddedDriver() {
        return externalDriverDir == null || externalDriverDir.isBlank();
    }

    /** Validates every setting; an invalid one is an {@link IllegalArgumentException} saying which and why. */
    public TransportContext conclude() {
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
        }
        try {
            threadingMode();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("threading mode '" + threadingMode + "' must be SHARED, INVOKER, SHARED_NETWORK or DEDICATED");
        }
        if (Integer.bitCount(termLengthBytes) != 1 || termLengthBytes < 64 * 1024 || termLengthBytes > (1 << 30)) {
            throw new IllegalArgumentException("term length " + termLengthBytes + " must be a power of two between 64 KiB and 1 GiB");
        }
        checkMtu("UDP", udpMtuBytes);
        checkMtu("loopback UDP", loopbackMtuBytes);
        if (receiverWindowBytes < 64 * 1024) {
            throw new IllegalArgumentException("receiver window " + receiverWindowBytes + " must be at least 64 KiB");
        }
        checkMtu("IPC", ipcMtuBytes);
        if (sendTimeoutNs <= 0 || receiveTimeoutNs <= 0 || connectTimeoutNs <= 0 || heartbeatIntervalNs <= 0) {
            throw new IllegalArgumentException("timeouts and intervals must be positive");
        }
        if (controlMaxMessageBytes < 4096 || controlMaxMessageBytes > termLengthBytes / 8) {
            throw new IllegalArgumentException("control max message " + controlMaxMessageBytes
                    + " must be between 4096 and term length / 8 (" + termLengthBytes / 8 + ")");
        }
        concluded = true;
        return this;
    }

    private static void checkMtu(String what, int mtu) {
        if (mtu < 128 || mtu > 65504 || mtu % 32 != 0) {
            throw new IllegalArgumentException(what + " MTU " + mtu + " must be a multiple of 32 between 128 and 65504");
        }
    }

    public boolean isConcluded() {
        return concluded;
    }

    @Override
    public TransportContext clone() {
        try {
            TransportContext c = (TransportContext) super.clone();
            c.concluded = false;
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }
}
