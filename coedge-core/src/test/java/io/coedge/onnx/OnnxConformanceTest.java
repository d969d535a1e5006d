package io.coedge.onnx;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.InvalidProtocolBufferException;
import io.coedge.exec.Executor;
import io.coedge.graph.Graph;
import io.coedge.onnx.proto.Onnx.GraphProto;
import io.coedge.onnx.proto.Onnx.ModelProto;
import io.coedge.onnx.proto.Onnx.NodeProto;
import io.coedge.onnx.proto.Onnx.TensorProto;
import io.coedge.onnx.proto.Onnx.ValueInfoProto;
import io.coedge.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the ONNX backend tests that Debian's {@code libonnx-testdata} ships (node tests and the
 * PyTorch-converted/operator tests) whose operators are all ones CoEdge supports. Each must pass, or be
 * listed with a reason in {@code conformance-exclusions.txt}; a listed test that passes is an error too,
 * so the list cannot rot.
 *
 * <p>CoEdge specialises a model at load time, so inputs that it requires to be constant (weights of
 * Conv/Gemm, the shape of Reshape, the scales of Resize, the bounds of Clip, any integer input) are bound
 * as initializers from the test's data; the remaining inputs are fed at run time.
 */
class OnnxConformanceTest {
    static final Set<String> SUPPORTED = Set.of("Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Relu", "Clip",
            "BatchNormalization", "LRN", "Concat", "Flatten", "Reshape", "Gemm", "MatMul", "Softmax", "Dropout", "Add",
            "Sub", "Mul", "Div", "Sigmoid", "HardSigmoid", "HardSwish", "Resize", "ConvTranspose");

    /** Input positions (by op) that CoEdge needs as constants: weights and parameters, not feature maps. */
    static final Map<String, Set<Integer>> PARAMETER_INPUTS = Map.of(
            "Conv", Set.of(1, 2), "ConvTranspose", Set.of(1, 2), "Gemm", Set.of(1, 2), "MatMul", Set.of(1),
            "BatchNormalization", Set.of(1, 2, 3, 4), "Reshape", Set.of(1), "Resize", Set.of(1, 2, 3),
            "Clip", Set.of(1, 2), "Dropout", Set.of(1, 2));

    static final double RTOL = 1e-3;
    static final double ATOL = 1e-5;
    static final Path DEFAULT_DATA = Path.of("/usr/share/libonnx-testdata/data");
    static final List<String> SUITES = List.of("node", "pytorch-converted", "pytorch-operator");

    private static final Set<String> passed = java.util.Collections.synchronizedSet(new TreeSet<>());
    private static final Set<String> listedFailing = java.util.Collections.synchronizedSet(new TreeSet<>());
    private static final Set<String> applicable = java.util.Collections.synchronizedSet(new TreeSet<>());
    private static Map<String, String> exclusions = Map.of();

    static Path dataDir() {
        String p = System.getProperty("coedge.onnx.testdata", System.getenv("COEDGE_ONNX_TESTDATA"));
        return p != null ? Path.of(p) : DEFAULT_DATA;
    }

    static Map<String, String> loadExclusions() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (var in = OnnxConformanceTest.class.getResourceAsStream("/conformance-exclusions.txt")) {
            if (in == null) {
                return m;
            }
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon <= 0 || line.substring(colon + 1).isBlank()) {
                    throw new IllegalStateException("conformance-exclusions.txt: line '" + line
                            + "' must be 'test_name: reason'");
                }
                m.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        return m;
    }

    /** Applicable test folders, by test name. */
    static Map<String, Path> applicableTests(Path data) throws IOException {
        Map<String, Path> tests = new TreeMap<>();
        for (String suite : SUITES) {
            Path dir = data.resolve(suite);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path t : s.sorted().toList()) {
                    Path model = t.resolve("model.onnx");
                    if (!Files.isRegularFile(model)) {
                        continue;
                    }
                    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(model));
                    Set<String> ops = new HashSet<>();
                    for (NodeProto n : m.getGraph().getNodeList()) {
                        ops.add(n.getOpType());
                    }
                    if (!ops.isEmpty() && SUPPORTED.containsAll(ops)) {
                        tests.put(t.getFileName().toString(), t);
                    }
                }
            }
        }
        return tests;
    }

    @TestFactory
    Stream<DynamicTest> backendTestsOfSupportedOperators() throws IOException {
        Path data = dataDir();
        if (!Files.isDirectory(data.resolve("node"))) {
            String why = "ONNX backend test data not found at " + data + "; install Debian's libonnx-testdata"
                    + " (apt-get install libonnx-testdata) or set -Dcoedge.onnx.testdata=DIR";
            System.err.println("OnnxConformanceTest skipped: " + why);
            return Stream.of(DynamicTest.dynamicTest("ONNX backend test data present", () -> Assumptions.abort(why)));
        }
        exclusions = loadExclusions();
        Map<String, Path> tests = applicableTests(data);
        applicable.addAll(tests.keySet());
        List<DynamicTest> out = new ArrayList<>();
        for (Map.Entry<String, Path> e : tests.entrySet()) {
            out.add(DynamicTest.dynamicTest(e.getValue().getParent().getFileName() + "/" + e.getKey(),
                    () -> runCase(e.getKey(), e.getValue())));
        }
        out.add(DynamicTest.dynamicTest("every exclusion names an applicable test", () -> {
            Set<String> unknown = new TreeSet<>(exclusions.keySet());
            unknown.removeAll(tests.keySet());
            if (!unknown.isEmpty()) {
                fail("conformance-exclusions.txt lists tests that are not applicable backend tests: " + unknown);
            }
        }));
        return out.stream();
    }

    private static void runCase(String name, Path dir) throws Exception {
        String reason = exclusions.get(name);
        Throwable failure = null;
        try {
            check(dir);
        } catch (AssertionError | Exception e) {
            failure = e;
        }
        if (failure == null) {
            passed.add(name);
            if (reason != null) {
                fail(name + " passes but is listed in conformance-exclusions.txt (" + reason + "); remove the line");
            }
            return;
        }
        if (reason != null) {
            listedFailing.add(name);
            Assumptions.abort("listed: " + reason);
        }
        if (failure instanceof AssertionError ae) {
            throw ae;
        }
        throw new AssertionError(name + ": " + failure, failure);
    }

    /** Runs every test_data_set of one backend test and compares all outputs. */
    static void check(Path dir) throws IOException {
        ModelProto model = OnnxImporter.parse(dir.resolve("model.onnx"));
        List<Path> sets;
        try (Stream<Path> s = Files.list(dir)) {
            sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        }
        if (sets.isEmpty()) {
            throw new AssertionError("no test_data_set_* in " + dir);
        }
        for (Path set : sets) {
            checkDataSet(model, dir.getFileName().toString(), set);
        }
    }

    private static TensorProto readTensor(Path p) {
        try {
            return TensorProto.parseFrom(Files.readAllBytes(p));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("bad test tensor " + p, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void checkDataSet(ModelProto model, String name, Path set) {
        GraphProto g = model.getGraph();
        Set<String> initialized = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            initialized.add(t.getName());
        }
        List<ValueInfoProto> realInputs = g.getInputList().stream().filter(v -> !initialized.contains(v.getName())).toList();
        Set<String> parameters = parameterValues(g);
        GraphProto.Builder gb = g.toBuilder().clearInput();
        for (ValueInfoProto v : g.getInputList()) {
            if (initialized.contains(v.getName())) {
                gb.addInput(v);
            }
        }
        Map<String, TensorProto> runtime = new LinkedHashMap<>();
        for (int i = 0; i < realInputs.size(); i++) {
            ValueInfoProto v = realInputs.get(i);
            Path file = set.resolve("input_" + i + ".pb");
            if (!Files.exists(file)) {
                continue; // an optional input the test leaves out
            }
            TensorProto t = readTensor(file).toBuilder().setName(v.getName()).build();
            int type = v.getType().getTensorType().getElemType();
            if (parameters.contains(v.getName()) || type != TensorProto.DataType.FLOAT_VALUE) {
                gb.addInitializer(t);
            } else {
                gb.addInput(v);
                runtime.put(v.getName(), t);
            }
        }
        ModelProto bound = model.toBuilder().setGraph(gb).build();
        Graph graph = OnnxImporter.fromModel(bound, name, null);
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            for (Map.Entry<String, TensorProto> e : runtime.entrySet()) {
                inputs.put(e.getKey(), OnnxTensors.toFloatTensor(e.getValue(), arena, "input " + e.getKey()));
            }
            Map<String, Tensor> outputs = Executor.reference(graph).run(arena, inputs);
            for (int i = 0; i < g.getOutputCount(); i++) {
                String out = g.getOutput(i).getName();
                Path file = set.resolve("output_" + i + ".pb");
                TensorProto expectedProto = readTensor(file);
                float[] expected = OnnxTensors.toFloats(expectedProto, "expected " + out);
                int[] expectedShape = OnnxTensors.dims(expectedProto, "expected " + out);
                Tensor actual = outputs.get(out);
                if (!Arrays.equals(actual.shape(), expectedShape)) {
                    throw new AssertionError(set + ": output '" + out + "' has shape " + Arrays.toString(actual.shape())
                            + ", expected " + Arrays.toString(expectedShape));
                }
                compare(set + ": output '" + out + "'", actual.toLogicalArray(), expected);
            }
        }
    }

    /** Values bound as constants: parameter positions of the ops that read them. */
    private static Set<String> parameterValues(GraphProto g) {
        Set<String> p = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            Set<Integer> idx = PARAMETER_INPUTS.getOrDefault(n.getOpType(), Set.of());
            for (int i = 0; i < n.getInputCount(); i++) {
                if (idx.contains(i)) {
                    p.add(n.getInput(i));
                }
            }
        }
        return p;
    }

    static void compare(String what, float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        int bad = 0;
        int first = -1;
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            float a = actual[i];
            float e = expected[i];
            if (Float.isNaN(e) ? Float.isNaN(a) : Math.abs(a - e) <= ATOL + RTOL * Math.abs(e)) {
                continue;
            }
            if (first < 0) {
                first = i;
            }
            bad++;
            worst = Math.max(worst, Math.abs(a - e));
        }
        if (bad > 0) {
            throw new AssertionError(what + ": " + bad + " of " + actual.length + " values differ (first at " + first
                    + ": got " + actual[first] + ", expected " + expected[first] + "; max |diff| " + worst + ")");
        }
    }

    @AfterAll
    static void figures() throws IOException {
        if (applicable.isEmpty()) {
            return;
        }
        String summary = String.format("ONNX backend conformance: %d passed / %d applicable / %d listed with a reason"
                + " (%d listed and failing as listed)%n", passed.size(), applicable.size(), exclusions.size(),
                listedFailing.size());
        System.out.print(summary);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            StringBuilder sb = new StringBuilder(summary);
            Set<String> failing = new TreeSet<>(applicable);
            failing.removeAll(passed);
            failing.removeAll(exclusions.keySet());
            sb.append("failing and not listed: ").append(failing).append('\n');
            Files.writeString(target.resolve("onnx-conformance.txt"), sb.toString());
        }
    }
}
