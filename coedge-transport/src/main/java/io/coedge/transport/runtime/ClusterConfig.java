package io.coedge.transport.runtime;

import io.coedge.transport.TransportContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which workers a coordinator talks to, and how. Built in code or read from a cluster file:
 *
 * <pre>
 * # CoEdge cluster file: one setting per line, '#' starts a comment
 * coordinator = 192.168.1.10:40100     # where workers send replies (HOST:PORT; port 0 = any free port)
 * cluster-key-file = /etc/coedge/cluster.key
 * worker pi4-a = 192.168.1.21:40100
 * worker jetson = 192.168.1.22:40100
 * </pre>
 * A relative key file path is relative to the cluster file.
 */
public final class ClusterConfig {
    /** A worker: its name (as in plans) and its endpoint. */
    public record Member(String name, String endpoint) {
    }

    private final Map<String, Member> workers = new LinkedHashMap<>();
    private String coordinatorEndpoint = "127.0.0.1:0";
    private Path clusterKeyFile;
    private TransportContext transport = new TransportContext();

    public ClusterConfig worker(String name, String endpoint) {
        Endpoints.parse(endpoint, "endpoint of worker '" + name + "'");
        if (workers.putIfAbsent(name, new Member(name, endpoint)) != null) {
            throw new IllegalArgumentException("worker '" + name + "' is listed twice");
        }
        return this;
    }

    /** HOST:PORT the coordinator receives replies on; HOST must be reachable from the workers. */
    public ClusterConfig coordinatorEndpoint(String endpoint) {
        Endpoints.parse(endpoint, "coordinator endpoint");
        this.coordinatorEndpoint = endpoint;
        return this;
    }

    public ClusterConfig clusterKeyFile(Path file) {
        this.clusterKeyFile = file;
        return this;
    }

    public ClusterConfig transport(TransportContext t) {
        this.transport = t;
        return this;
    }

    public List<Member> workers() {
        return new ArrayList<>(workers.values());
    }

    public String coordinatorEndpoint() {
        return coordinatorEndpoint;
    }

    public Path clusterKeyFile() {
        return clusterKeyFile;
    }

    public TransportContext transport() {
        return transport;
    }

    /** Reads a cluster file; every problem is an IllegalArgumentException naming the file and line. */
    public static ClusterConfig read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cluster file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read cluster file " + file + ": " + e.getMessage());
        }
        return parse(lines, file);
    }

    static ClusterConfig parse(List<String> lines, Path file) {
        ClusterConfig c = new ClusterConfig();
        for (int i = 0; i < lines.size(); i++) {
            String where = file + " line " + (i + 1);
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(where + ": expected 'key = value', got '" + line + "'");
            }
            String k = line.substring(0, eq).strip();
            String v = line.substring(eq + 1).strip();
            try {
                if (k.equals("coordinator")) {
                    c.coordinatorEndpoint(v);
                } else if (k.equals("cluster-key-file")) {
                    Path p = Path.of(v);
                    c.clusterKeyFile(p.isAbsolute() || file.getParent() == null ? p : file.getParent().resolve(p));
                } else if (k.startsWith("worker ") || k.startsWith("worker\t")) {
                    String name = k.substring(7).strip();
                    if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
                        throw new IllegalArgumentException("worker name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
                    }
                    c.worker(name, v);
                } else {
                    throw new IllegalArgumentException("unknown key '" + k + "' (known: coordinator, cluster-key-file, worker NAME)");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
        }
        if (c.workers.isEmpty()) {
            throw new IllegalArgumentException(file + " lists no workers; add lines like 'worker NAME = HOST:PORT'");
        }
        return c;
    }
}
