package io.coedge.cli;

import io.coedge.exec.Executor;
import io.coedge.graph.KernelProvider;
import io.coedge.kernels.KernelSettings;
import io.coedge.kernels.NativeLibrary;
import io.coedge.kernels.OpenBlas;
import io.coedge.kernels.VectorKernelProvider;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

/** {@code coedge info}: the Java runtime, the machine, and which kernels would run. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Print the Java version, cores, CPU features and available kernel providers.")
final class InfoCommand extends CoedgeCommand {
    /** CPU flags that decide which kernels can run. */
    static final List<String> INTERESTING_FLAGS = List.of("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw",
            "avx512vl", "neon", "asimd", "asimdhp", "sve");

    @Override
    protected int execute() {
        PrintWriter out = out();
        Runtime rt = Runtime.getRuntime();
        out.printf(Locale.ROOT, "coedge:    %s%n", Main.version());
        out.printf(Locale.ROOT, "java:      %s (%s, %s)%n", Runtime.version(), System.getProperty("java.vendor"),
                System.getProperty("java.home"));
        out.printf(Locale.ROOT, "os:        %s %s on %s%n", System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf(Locale.ROOT, "cores:     %d available to the JVM%n", rt.availableProcessors());
        out.printf(Locale.ROOT, "max heap:  %d MiB%n", rt.maxMemory() >> 20);
        out.printf(Locale.ROOT, "cpu flags: %s%n", cpuFeatures(Path.of("/proc/cpuinfo")));
        out.println("kernel providers (ServiceLoader, best first):");
        List<KernelProvider> all = new ArrayList<>();
        try {
            ServiceLoader.load(KernelProvider.class).forEach(all::add);
        } catch (ServiceConfigurationError e) {
            out.println("  (a provider failed to load: " + e.getMessage() + ")");
        }
        all.sort((a, b) -> Integer.compare(b.priority(), a.priority()));
        for (KernelProvider p : all) {
            boolean ok;
            try {
                ok = p.available();
            } catch (RuntimeException | LinkageError e) {
                ok = false;
            }
            out.printf(Locale.ROOT, "  %-10s priority %3d  %s%n", p.name(), p.priority(),
                    ok ? "available" : "not available on this machine");
        }
        out.printf(Locale.ROOT, "  %-10s always available (plain Java, the oracle for the others)%n", "reference");
        printNativeStatus(out);
        String chain = Executor.providers("").stream().map(KernelProvider::name).collect(Collectors.joining(" -> "));
        out.printf(Locale.ROOT, "kernel selection (auto): %s%n", chain.isEmpty() ? "reference" : chain + " -> reference");
        String forced = System.getProperty(Executor.KERNELS_PROPERTY);
        if (forced != null) {
            out.printf(Locale.ROOT, "forced by -D%s=%s%n", Executor.KERNELS_PROPERTY, forced);
        }
        out.printf(Locale.ROOT, "models:    %s, or an .onnx file%n", String.join(", ", ModelSource.names()));
        return 0;
    }

    /** What the native module found: the C kernel library and its ISA, OpenBLAS, the Vector API. */
    static void printNativeStatus(PrintWriter out) {
        try {
            if (NativeLibrary.available()) {
                out.printf(Locale.ROOT, "C kernels: %s variant (this CPU runs %s; platform %s)%n",
                        NativeLibrary.kernels().isa().suffix(), NativeLibrary.supportedIsas().stream()
                                .map(NativeLibrary.Isa::suffix).collect(Collectors.joining(", ")),
                        NativeLibrary.platform());
            } else {
                out.printf(Locale.ROOT, "C kernels: not available: %s%n", NativeLibrary.problem());
            }
            out.printf(Locale.ROOT, "OpenBLAS:  %s%n", OpenBlas.available() ? OpenBlas.config()
                    : "not available: " + OpenBlas.problem());
            out.printf(Locale.ROOT, "Vector API: %s%n", VectorKernelProvider.problem() == null
                    ? VectorKernelProvider.lanes() + " float lanes" : "not available: " + VectorKernelProvider.problem());
            out.printf(Locale.ROOT, "threads:   %d for kernels (%s)%n", KernelSettings.threads(),
                    System.getProperty(KernelSettings.THREADS_PROPERTY) == null ? "all cores; --threads or -D"
                            + KernelSettings.THREADS_PROPERTY + " to change" : "-D" + KernelSettings.THREADS_PROPERTY);
        } catch (RuntimeException | LinkageError e) {
            out.println("native:    status unknown (" + e + ")");
        }
    }

    /** The interesting CPU flags from /proc/cpuinfo, or a note when it cannot be read. */
    static String cpuFeatures(Path cpuinfo) {
        List<String> lines;
        try {
            lines = Files.readAllLines(cpuinfo);
        } catch (IOException | RuntimeException e) {
            return "unknown (" + cpuinfo + " not readable)";
        }
        Set<String> flags = new LinkedHashSet<>();
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("flags") || lower.startsWith("features")) {
                int colon = line.indexOf(':');
                if (colon >= 0) {
                    for (String f : line.substring(colon + 1).trim().split("\\s+")) {
                        flags.add(f);
                    }
                }
                break;
            }
        }
        List<String> seen = INTERESTING_FLAGS.stream().filter(flags::contains).toList();
        if (flags.isEmpty()) {
            return "unknown (no flags line in " + cpuinfo + ")";
        }
        return seen.isEmpty() ? "none of " + INTERESTING_FLAGS : String.join(" ", seen);
    }
}
