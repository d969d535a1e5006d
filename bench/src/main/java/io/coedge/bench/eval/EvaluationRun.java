package io.coedge.bench.eval;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.partition.Accounting;
import io.coedge.partition.Geometry;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.planner.Baselines;
import io.coedge.planner.CostModel;
import io.coedge.planner.DeviceProfile;
import io.coedge.planner.DeviceProfiles;
import io.coedge.planner.LayerCostTable;
import io.coedge.planner.LayerType;
import io.coedge.planner.LinkProfile;
import io.coedge.planner.PlanResult;
import io.coedge.planner.Planner;
import io.coedge.planner.Prediction;
import io.coedge.tensor.Tensor;
import io.coedge.transport.TransportConfiguration;
import io.coedge.transport.runtime.ClusterConfig;
import io.coedge.transport.runtime.CoEdgeCluster;
import io.coedge.transport.runtime.LinkProbes;
import io.coedge.transport.runtime.ModelSpec;
import io.coedge.transport.runtime.PartitionedSession;
import io.coedge.transport.stat.CounterTypes;
import io.coedge.transport.stat.LiveCounters;
import io.coedge.zoo.ModelZoo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The coordinator side of the evaluation; {@link Evaluation} starts it inside the testbed's hub namespace and
 * the initiator's CPU cgroup. Per model:
 * <ol>
 * <li><b>Profiles.</b> Links first, probed over the transport ({@link #probeLinks}). Then each device runs the
 *     whole model alone a few times (the initiator in this process, each worker with all rows, the tail here):
 *     the initiator's rate is the model's FLOPs over its wall time, a worker's the row-split FLOPs over its wall
 *     time net of scatter, gather and tail. The runs last far longer than the CFS period, so the rate is the
 *     quota's, not a burst's. Power: the presets named on the command line.</li>
 * <li><b>Deadline.</b> Between the latency-minimal and the local latency predicted from those profiles (a
 *     fraction of the way up from the minimum), so that the energy objective has room to choose.</li>
 * <li><b>Strategies.</b> Each strategy's plan runs on the testbed (in passes over all of them, each with warm-ups
 *     and timed runs; the median of all its timed runs is reported) beside the cost model's prediction; energy is
 *     the cost model's with the measured latency and the workers' measured compute times put in (energy itself
 *     cannot be measured here).</li>
 * </ol>
 */
public final class EvaluationRun {
    private static final String LOCAL = CoEdgeCluster.LOCAL_DEVICE;

    private EvaluationRun() {
    }

    /** One strategy's outcome on one model. */
    record Outcome(String model, String strategy, String rows, double deadlineMs, boolean feasible, double predictedMs,
                   double exactMs, double measuredMs, double minMs, double maxMs, double predictedJ, double measuredJ,
                   String note) {
        double errorPercent() {
            return 100 * (predictedMs - measuredMs) / measuredMs;
        }
    }

    /** One device's measured profile for one model. */
    record Calibration(String model, String device, String preset, double cores, double mbit, double gflops,
                       double aloneMs, double latencyMs, double haloSpeedUp, double requestMs) {
    }

    public static void main(String[] args) throws Exception {
        Path clusterFile = null;
        List<String> rest = new ArrayList<>();
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cluster" -> clusterFile = Path.of(args[++i]);
                case "--aeron-base" -> i++;
                case "--smoke-marker" -> smoke = true;
                default -> rest.add(args[i]);
            }
        }
        if (clusterFile == null) {
            throw new IllegalArgumentException("--cluster FILE is required (written by scripts/testbed up)");
        }
        Evaluation.Options o = Evaluation.Options.parse(rest.toArray(String[]::new));
        o.smoke = smoke;
        List<Outcome> outcomes = new ArrayList<>();
        List<Calibration> calibrations = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        String load0 = loadAverage();
        long t0 = System.nanoTime();
        ClusterConfig config = ClusterConfig.read(clusterFile);
        Map<String, Double> latency = new LinkedHashMap<>();
        for (ClusterConfig.Member m : config.workers()) {
            latency.put(m.name(), probeLatencySeconds(m.endpoint().substring(0, m.endpoint().lastIndexOf(':'))));
            System.out.printf(Locale.ROOT, "link to %s: one-way latency %.3f ms (half the median ICMP echo)%n", m.name(),
                    latency.get(m.name()) * 1e3);
        }
        try (CoEdgeCluster cluster = CoEdgeCluster.connect(config);
                Arena arena = Arena.ofShared()) {
            Map<String, LinkProfile> links = probeLinks(cluster, arena);
            // The tbf's bucket is the link's burst: the probe's bandwidth is the paced rate, the bucket is given
            List<String> ws = cluster.workers();
            for (int w = 0; w < ws.size() && w < o.bursts.size(); w++) {
                links.put(ws.get(w), links.get(ws.get(w)).withBurstBytes(o.bursts.get(w)));
            }
            links.forEach((w, l) -> latency.put(w, l.latencySeconds()));
            for (String model : o.models) {
                // A worker on a small quota of a loaded machine can miss its heartbeats and be dropped for one
                // request; the model is then evaluated once more from the start (its partial rows discarded).
                for (int attempt = 1; attempt <= 2; attempt++) {
                    int outcomesBefore = outcomes.size();
                    int calibrationsBefore = calibrations.size();
                    try {
                        evaluateModel(cluster, arena, model, o, links, outcomes, calibrations);
                        break;
                    } catch (RuntimeException e) {
                        outcomes.subList(outcomesBefore, outcomes.size()).clear();
                        calibrations.subList(calibrationsBefore, calibrations.size()).clear();
                        System.out.println("evaluation: " + model + " failed (attempt " + attempt + "): " + e);
                        if (attempt == 2) {
                            failures.add(model + ": " + e.getMessage());
                        }
                    }
                }
                write(o, outcomes, calibrations, load0, loadAverage(), (System.nanoTime() - t0) / 1e9);
            }
        }
        write(o, outcomes, calibrations, load0, loadAverage(), (System.nanoTime() - t0) / 1e9);
        System.out.println(markdown(o, outcomes, calibrations, load0, loadAverage(), (System.nanoTime() - t0) / 1e9));
        if (!failures.isEmpty()) {
            System.out.println("evaluation: failed models: " + failures);
            System.exit(1);
        }
        if (smoke) {
            System.out.println("evaluation: smoke ok");
        }
    }

    /**
     * Half the median round trip of ICMP echoes to {@code host} (Java sends ICMP when it may, as root here);
     * 0.1 ms when no echo is answered.
     */
    static double probeLatencySeconds(String host) {
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(host);
            double[] rtt = new double[7];
            int ok = 0;
            for (int i = 0; i < rtt.length; i++) {
                long t0 = System.nanoTime();
                if (a.isReachable(1000)) {
                    rtt[ok++] = (System.nanoTime() - t0) / 1e9;
                }
            }
            if (ok == 0) {
                return 1e-4;
            }
            double[] r = Arrays.copyOf(rtt, ok);
            Arrays.sort(r);
            return r[ok / 2] / 2;
        } catch (IOException e) {
            return 1e-4;
        }
    }

    /**
     * Measures each worker's link over the transport itself ({@link LinkProbes}): bandwidth, the time one halo
     * exchange costs (charged per exchanged halo and twice per request: scatter, gather) and the fixed time a
     * request costs beyond its bytes.
     */
    static Map<String, LinkProfile> probeLinks(CoEdgeCluster cluster, Arena arena) {
        Map<String, LinkProfile> out = new LinkedHashMap<>();
        for (String w : cluster.workers()) {
            out.put(w, LinkProbes.measure(cluster, w, LinkProbes.Options.defaults(), System.out::println));
        }
        return out;
    }

    static void evaluateModel(CoEdgeCluster cluster, Arena arena, String model, Evaluation.Options o,
                              Map<String, LinkProfile> links, List<Outcome> outcomes, List<Calibration> calibrations) {
        Graph g = ModelZoo.build(model);
        LayerCostTable table = LayerCostTable.fromGraph(g);
        int h = table.inputRows();
        Tensor input = Tensor.gaussian(arena, 1, g.inputs().get(0).shape());
        ModelSpec spec = ModelSpec.zoo(model, 0);
        long totalFlops = 0;
        for (Node n : g.nodes()) {
            totalFlops += g.flops(n);
        }
        List<String> workers = cluster.workers();
        System.out.printf(Locale.ROOT, "%n== %s: %.2f GFLOP, %d input rows%n", model, totalFlops / 1e9, h);

        // 1. profiles: each device alone
        double[] rate = new double[workers.size() + 1];
        double[] alone = new double[workers.size() + 1];
        // the initiator first: its rate gives the tail's time in the workers' runs below
        {
            Plan p = new Plan(0, List.of(LOCAL), new int[] {h}, Sync.every(), LOCAL);
            try (PartitionedSession s = cluster.deploy(spec, p)) {
                Timing t = time(cluster, s, arena, input, CALIBRATION_WARMUPS, o.calibrationRuns);
                alone[0] = t.medianMs;
                rate[0] = totalFlops / (t.medianMs / 1e3);
            }
            System.out.printf(Locale.ROOT, "  profile %-6s alone %9.1f ms  %6.2f GFLOP/s (whole model, wall time)%n", LOCAL,
                    alone[0], rate[0] / 1e9);
        }
        long tailFlops = 0;
        for (long f : table.tailFlops().values()) {
            tailFlops += f;
        }
        double tailSeconds = tailFlops / rate[0];
        for (int w = 0; w < workers.size(); w++) {
            String name = workers.get(w);
            Plan p = new Plan(0, List.of(LOCAL, name), new int[] {0, h}, Sync.every(), LOCAL);
            double counted;
            try (PartitionedSession s = cluster.deploy(spec, p)) {
                Timing t = time(cluster, s, arena, input, CALIBRATION_WARMUPS, o.calibrationRuns);
                counted = t.computeNs.getOrDefault(name, 0.0) / 1e9;
                alone[w + 1] = t.medianMs;
            }
            // The effective rate: what the worker delivers end to end holding every row, net of the scatter and
            // gather (probed bandwidth, plus two message latencies and the per-request cost as the cost model
            // charges them) and of the initiator's tail. The worker's own compute counter leaves out work around
            // the layers that still delays the answer; it is shown for comparison.
            LinkProfile link = links.get(name);
            double transfers = link.pacedSecondsAfterIdle(table.scatterBytesPerRow() * h)
                    + link.pacedSecondsAfterIdle(table.gatherBytesPerRow() * h) + 2 * link.latencySeconds()
                    + link.requestSeconds();
            double net = alone[w + 1] / 1e3 - transfers - tailSeconds;
            rate[w + 1] = table.spatialFlops() / (net > counted ? net : counted);
            System.out.printf(Locale.ROOT, "  profile %-6s alone %9.1f ms  %6.2f GFLOP/s effective (%.1f ms net of transfers and"
                    + " tail; its compute counter says %.1f ms)%n", name, alone[w + 1], rate[w + 1] / 1e9, net * 1e3,
                    counted * 1e3);
        }
        // The initiator once more, a few seconds later: on this shared machine one median of a few runs swings by up to
        // 15 % from one measurement to the next, and the faster of the two (the figure taken before) sat below the
        // local plan's timed runs in most runs. Their mean is the initiator's rate; when they are more than 10 % apart,
        // one of them was taken in a slow spell (VGG-16: 388.8 against 316.0 ms, and the local plan then measured
        // 301 ms), so a third is taken and the median of the three counts.
        {
            Plan p = new Plan(0, List.of(LOCAL), new int[] {h}, Sync.every(), LOCAL);
            try (PartitionedSession s = cluster.deploy(spec, p)) {
                Timing t = time(cluster, s, arena, input, CALIBRATION_WARMUPS, o.calibrationRuns);
                double first = alone[0], second = t.medianMs;
                if (Math.abs(first - second) > 0.10 * Math.min(first, second)) {
                    double third = time(cluster, s, arena, input, CALIBRATION_WARMUPS, o.calibrationRuns).medianMs;
                    alone[0] = median(new double[] {first, second, third});
                    System.out.printf(Locale.ROOT, "  profile %-6s alone %9.1f ms again and %.1f ms a third time (first %.1f ms;"
                            + " the median counts)%n", LOCAL, second, third, first);
                } else {
                    alone[0] = (first + second) / 2;
                    System.out.printf(Locale.ROOT, "  profile %-6s alone %9.1f ms again (first %.1f ms; the mean counts)%n",
                            LOCAL, second, first);
                }
                rate[0] = totalFlops / (alone[0] / 1e3);
            }
        }
        // 1b. Each worker in a split with the initiator, half the rows each: how fast the worker computes while it
        // exchanges halos (its compute and FLOPs counters; a small CFS quota computes slower between waits than in
        // one long run), and what one halo exchange and one request cost inside a real model (the per-message costs
        // that make the cost model's prediction of this split equal its measured latency, see below). The probes
        // time them with nothing to hide them behind and one layer's halo at a time; a model's branches exchange
        // several halos at once, and the request probe swings between runs on a loaded machine.
        links = new LinkedHashMap<>(links);
        DeviceProfile initiatorAlone = device(LOCAL, o.presets.get(0), rate[0], o.initiatorCpu, new LinkProfile(10e9 / 8, 0));
        int[] pairRows = {h / 2, h - h / 2};
        // Each split is timed PAIR_PASSES times, the workers in turn, and the middle one counts: a split timed in a
        // slow spell of the shared machine (up to 15 % slower) would otherwise lower the worker's rate and raise its
        // per-exchange cost for every plan of the model.
        List<List<Timing>> passes = new ArrayList<>();
        for (int w = 0; w < workers.size(); w++) {
            passes.add(new ArrayList<>());
        }
        // The splits of 1c below run in the same passes, after the pairs: their passes then lie about a minute apart
        // for VGG-16 and several seconds for AlexNet, not back to back within one slow spell.
        List<int[]> multi = multiWorkerSplits(rate, h);
        List<List<Timing>> multiTimed = new ArrayList<>();
        multi.forEach(x -> multiTimed.add(new ArrayList<>()));
        for (int pass = 0; pass < PAIR_PASSES; pass++) {
            for (int w = 0; w < workers.size(); w++) {
                Plan p = new Plan(0, List.of(LOCAL, workers.get(w)), pairRows, Sync.every(), LOCAL);
                try (PartitionedSession s = cluster.deploy(spec, p)) {
                    passes.get(w).add(time(cluster, s, arena, input, pass == 0 ? CALIBRATION_WARMUPS : 1,
                            o.calibrationRuns));
                }
            }
            for (int k = 0; k < multi.size(); k++) {
                int[] rows = multi.get(k);
                List<String> on = new ArrayList<>(List.of(LOCAL));
                on.addAll(workers.subList(0, rows.length - 1));
                try (PartitionedSession s = cluster.deploy(spec, new Plan(0, on, rows, Sync.every(), LOCAL))) {
                    multiTimed.get(k).add(time(cluster, s, arena, input, pass == 0 ? CALIBRATION_WARMUPS : 1,
                            o.calibrationRuns));
                }
            }
        }
        for (int w = 0; w < workers.size(); w++) {
            String name = workers.get(w);
            List<Timing> timed = new ArrayList<>(passes.get(w));
            timed.sort(java.util.Comparator.comparingDouble(Timing::medianMs));
            Timing t = timed.get(timed.size() / 2);
            double ns = t.computeNs.getOrDefault(name, 0.0);
            double fl = t.flops.getOrDefault(name, 0.0);
            double splitRate = ns > 0 && fl > 0 ? fl / (ns / 1e9) : rate[w + 1];
            double aloneRate = rate[w + 1];
            rate[w + 1] = Math.min(aloneRate, splitRate);
            LinkProfile l = links.get(name);
            double measured = t.medianMs / 1e3;
            // The split's measured latency fixes the two per-message costs the probes measure noisily: when the model
            // over-predicts the split with no per-exchange cost, the per-request cost comes down (to 0 at least)
            // until it matches; when it under-predicts, the per-exchange cost goes up until it does.
            int worker = w;
            SplitLatency split = (perExchange, perRequest, speedUp) -> pairLatency(g, initiatorAlone, name, o, worker,
                    rate[worker + 1], l, perExchange, perRequest, speedUp, pairRows);
            double request = l.requestSeconds();
            double perHalo = 0;
            double haloSpeedUp = 1;
            if (split.seconds(0, request, 1) > measured) {
                request = bisect(0, request, r -> split.seconds(0, r, 1) < measured)[0];
                // Still slower than measured without any per-message cost: the model charges this model's halos more
                // link time than they take (many small ones keep the link busy across stages, and the link's bucket
                // lets some through at line speed). Charge them at a higher rate until the split matches, at most
                // MAX_HALO_SPEED_UP times the probed bandwidth.
                if (split.seconds(0, 0, 1) > measured) {
                    haloSpeedUp = bisect(1, MAX_HALO_SPEED_UP, f -> split.seconds(0, 0, f) > measured)[1];
                }
            } else {
                // Not capped at the probe's figure: inside a model a device that waits for a halo resumes at its
                // next CFS slot, which the probe's layers, short enough to run within one slot, never wait for.
                double probedRequest = request;
                perHalo = bisect(0, measured, x -> split.seconds(x, probedRequest, 1) < measured)[0];
            }
            links.put(name, new LinkProfile(l.bandwidthBytesPerSecond(), perHalo, request, l.burstBytes(),
                    l.bandwidthBytesPerSecond() * haloSpeedUp));
            System.out.printf(Locale.ROOT, "  split  local+%-4s %d/%d rows %7.1f ms (of %s): %s computes at %.2f GFLOP/s (alone %.2f);"
                    + " %.2f ms per halo exchange (probe %.2f ms), %.2f ms per request (probe %.2f ms), halos at %.2fx the"
                    + " link's bandwidth%n", name, pairRows[0], pairRows[1], t.medianMs,
                    timed.stream().map(x -> String.format(Locale.ROOT, "%.1f", x.medianMs())).toList(), name,
                    splitRate / 1e9, aloneRate / 1e9, perHalo * 1e3, l.latencySeconds() * 1e3, request * 1e3,
                    l.requestSeconds() * 1e3, haloSpeedUp);
        }
        double[] latency = new double[workers.size()];
        double minLatency = Double.POSITIVE_INFINITY;
        for (int w = 0; w < workers.size(); w++) {
            latency[w] = links.get(workers.get(w)).latencySeconds();
            minLatency = Math.min(minLatency, latency[w]);
        }
        List<DeviceProfile> devices = new ArrayList<>();
        devices.add(device(LOCAL, o.presets.get(0), rate[0], o.initiatorCpu, new LinkProfile(10e9 / 8, minLatency)));
        for (int w = 0; w < workers.size(); w++) {
            devices.add(device(workers.get(w), o.presets.get(w + 1), rate[w + 1], o.cpu.get(w), links.get(workers.get(w))));
        }
        // 1c. What each worker beyond the first costs the initiator beyond its rows: sending its request and band and
        // taking its result in, after the first one's, on the initiator's quota. The pair splits above hold one worker
        // each, so they cannot see it; the cost model charges it as the initiator's per-request cost for each worker
        // beyond the first (CostModel). Fitted on two splits (multiWorkerSplits): the initiator with the first two
        // workers, and with all three; the figure that brings the model's predictions of both closest to their
        // measured latencies (least squares of the relative errors, 0 at least). One split alone puts every other
        // figure's misfit on that split into this one, which a four-device plan then pays twice: GoogLeNet's
        // three-device split measured 10 ms above the model in one run, its four-device plans then came out 10-17 %
        // over. The fastest of the three passes of each split counts: a slow spell of the shared machine only adds to
        // this figure (VGG-16's three-device split measured 158.9 ms in the middle pass, 156.0 in the fastest, and the
        // planner's plan of nearly the same rows 152.0 minutes later).
        double extraWorker = 0;
        if (!multi.isEmpty()) {
            double[] measuredS = new double[multi.size()];
            double[] predictedS = new double[multi.size()];
            for (int k = 0; k < multi.size(); k++) {
                int[] rows = multi.get(k);
                List<Timing> timed = new ArrayList<>(multiTimed.get(k));
                timed.sort(java.util.Comparator.comparingDouble(Timing::medianMs));
                measuredS[k] = timed.get(0).medianMs / 1e3;
                CostModel sub = new CostModel(g, new DeviceProfiles.Cluster(devices.subList(0, rows.length), LOCAL));
                predictedS[k] = sub.predict(rows).latencySeconds();
                System.out.printf(Locale.ROOT, "  split  local+%s %s rows %6.1f ms (fastest of %s), predicted without a cost per"
                        + " extra worker %.1f ms%n", String.join("+", workers.subList(0, rows.length - 1)),
                        Arrays.stream(rows).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining("/")),
                        measuredS[k] * 1e3, timed.stream().map(x -> String.format(Locale.ROOT, "%.1f", x.medianMs())).toList(),
                        predictedS[k] * 1e3);
            }
            extraWorker = extraWorkerFit(multi.stream().mapToInt(r -> r.length - 2).toArray(), measuredS, predictedS);
            devices.set(0, devices.get(0).withLink(new LinkProfile(10e9 / 8, minLatency, extraWorker)));
            StringBuilder with = new StringBuilder();
            for (int[] rows : multi) {
                CostModel sub = new CostModel(g, new DeviceProfiles.Cluster(devices.subList(0, rows.length), LOCAL));
                with.append(String.format(Locale.ROOT, " %.1f", sub.predict(rows).latencySeconds() * 1e3));
            }
            System.out.printf(Locale.ROOT, "  initiator: %.2f ms per worker beyond the first (the splits predicted with it:%s ms)%n",
                    extraWorker * 1e3, with);
        }
        calibrations.add(new Calibration(model, LOCAL, o.presets.get(0), o.initiatorCpu, Double.NaN, rate[0] / 1e9, alone[0],
                minLatency * 1e3, 1, extraWorker * 1e3));
        for (int w = 0; w < workers.size(); w++) {
            LinkProfile link = links.get(workers.get(w));
            calibrations.add(new Calibration(model, workers.get(w), o.presets.get(w + 1), o.cpu.get(w), o.mbit.get(w),
                    rate[w + 1] / 1e9, alone[w + 1], latency[w] * 1e3,
                    link.haloBandwidthBytesPerSecond() / link.bandwidthBytesPerSecond(), link.requestSeconds() * 1e3));
        }
        DeviceProfiles.Cluster profiles = new DeviceProfiles.Cluster(devices, LOCAL);
        CostModel cm = new CostModel(g, profiles);
        Planner planner = new Planner(cm);

        // 2. deadline between the latency-minimal and the local latency
        double latMin = planner.latencyMinimal(Double.POSITIVE_INFINITY).latencySeconds();
        double latLocal = Baselines.local(cm, Double.POSITIVE_INFINITY).latencySeconds();
        double deadline = latLocal > latMin ? latMin + o.deadlineFraction * (latLocal - latMin) : 1.2 * latMin;
        System.out.printf(Locale.ROOT, "  predicted latency-minimal %.1f ms, local %.1f ms: deadline %.1f ms%n", latMin * 1e3,
                latLocal * 1e3, deadline * 1e3);

        // 3. every strategy on the testbed
        List<String> names = cm.deviceNames();
        List<PlanResult> chosen = new ArrayList<>();
        List<Plan> plans = new ArrayList<>();
        for (PlanResult r : Baselines.all(cm, deadline, Planner.Objective.ENERGY)) {
            if (!o.strategies.contains(r.strategy())) {
                continue;
            }
            int[] rows = r.rows();
            List<String> used = new ArrayList<>();
            List<Integer> usedRows = new ArrayList<>();
            for (int i = 0; i < rows.length; i++) {
                if (rows[i] > 0 || names.get(i).equals(LOCAL)) {
                    used.add(names.get(i));
                    usedRows.add(rows[i]);
                }
            }
            chosen.add(r);
            plans.add(new Plan(0, used, usedRows.stream().mapToInt(Integer::intValue).toArray(), Sync.every(), LOCAL));
        }
        List<Timing> timings = new ArrayList<>();
        if (o.interleave) {
            List<PartitionedSession> sessions = new ArrayList<>();
            try {
                for (Plan plan : plans) {
                    sessions.add(cluster.deploy(spec, plan));
                }
                timings.addAll(timeInterleaved(cluster, sessions, arena, input, o.warmups, o.runs));
            } finally {
                sessions.forEach(PartitionedSession::close);
            }
        } else {
            List<PartitionedSession> sessions = new ArrayList<>();
            try {
                for (Plan plan : plans) {
                    sessions.add(cluster.deploy(spec, plan));
                }
                timings.addAll(timeInPasses(cluster, sessions, arena, input, o.warmups, o.runs, o.passes));
            } finally {
                sessions.forEach(PartitionedSession::close);
            }
        }
        for (int c = 0; c < chosen.size(); c++) {
            PlanResult r = chosen.get(c);
            int[] rows = r.rows();
            Timing t = timings.get(c);
            double exact = cm.predictExact(Geometry.of(g, new Plan(0, names, rows, Sync.every(), LOCAL)))[0];
            Prediction pr = r.prediction();
            int init = cm.initiatorIndex();
            // energy with measured times: idle power over the measured latency, compute power over each worker's
            // measured compute time; the initiator's compute and every transfer as the cost model predicts
            double energy = pr.energyJoules();
            double dT = t.medianMs / 1e3 - pr.latencySeconds();
            for (int i = 0; i < rows.length; i++) {
                boolean on = i == init || rows[i] > 0;
                if (!on) {
                    continue;
                }
                DeviceProfile d = devices.get(i);
                energy += d.idleWatts() * dT;
                if (i != init) {
                    double predCp = 0;
                    for (double[] st : pr.computeSeconds()) {
                        predCp += st[i];
                    }
                    double measCp = t.computeNs.getOrDefault(names.get(i), predCp * 1e9) / 1e9;
                    energy += (d.computeWatts() - d.idleWatts()) * (measCp - predCp);
                }
            }
            StringBuilder rs = new StringBuilder();
            for (int i = 0; i < rows.length; i++) {
                rs.append(i == 0 ? "" : " ").append(names.get(i)).append(':').append(rows[i]);
            }
            Outcome out = new Outcome(model, r.strategy(), rs.toString(), deadline * 1e3, r.feasible(), pr.latencyMs(),
                    exact * 1e3, t.medianMs, t.minMs, t.maxMs, pr.energyJoules(), energy, r.note());
            outcomes.add(out);
            StringBuilder per = new StringBuilder();
            Accounting acc = Geometry.of(g, new Plan(0, names, rows, Sync.every(), LOCAL)).predicted();
            for (int i = 0; i < rows.length; i++) {
                if (i == init || rows[i] == 0) {
                    continue;
                }
                double predCp = acc.flops(i) / devices.get(i).rate(LayerType.CONV3X3);
                per.append(String.format(Locale.ROOT, " %s %.1f/%.1f", names.get(i),
                        t.computeNs.getOrDefault(names.get(i), Double.NaN) / 1e6, predCp * 1e3));
            }
            System.out.printf(Locale.ROOT, "  %-12s rows %-28s predicted %8.1f ms (exact %8.1f)  measured %8.1f ms [%8.1f..%8.1f]"
                    + "  error %+6.1f%%  energy %6.2f J (at measured times %6.2f J)%n", r.strategy(), rs, pr.latencyMs(),
                    exact * 1e3, t.medianMs, t.minMs, t.maxMs, out.errorPercent(), pr.energyJoules(), energy);
            {
                double predLocal = pr.tailSeconds();
                for (double[] st : pr.computeSeconds()) {
                    predLocal += st[init];
                }
                per.insert(0, String.format(Locale.ROOT, " %s %.1f/%.1f", LOCAL,
                        t.computeNs.getOrDefault(LOCAL, Double.NaN) / 1e6, predLocal * 1e3));
            }
            if (!per.isEmpty()) {
                double stages = 0;
                for (double st : pr.stageSeconds()) {
                    stages += st;
                }
                System.out.println("      compute ms (initiator: rows and tail), counted/predicted:" + per + String.format(Locale.ROOT,
                        "; predicted stages %.1f ms, scatter+gather %.1f ms, tail %.1f ms", stages * 1e3,
                        (pr.scatterSeconds() + pr.gatherSeconds()) * 1e3, pr.tailSeconds() * 1e3));
            }
        }
    }

    /** The cost model's latency of a split with the initiator, with the given per-message costs and halo rate. */
    private interface SplitLatency {
        double seconds(double perExchange, double perRequest, double haloSpeedUp);
    }

    /**
     * Halves {@code [lo, hi]} 40 times towards the point where {@code below} (true left of it, false right of it)
     * turns; returns the last {@code {lo, hi}}.
     */
    static double[] bisect(double lo, double hi, java.util.function.DoublePredicate below) {
        for (int it = 0; it < 40; it++) {
            double mid = (lo + hi) / 2;
            if (below.test(mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return new double[] {lo, hi};
    }

    /**
     * The cost model's latency of the half/half calibration split with the given per-message costs, halos charged at
     * {@code haloSpeedUp} times the probed bandwidth.
     */
    private static double pairLatency(Graph g, DeviceProfile initiator, String name, Evaluation.Options o, int w,
                                      double rate, LinkProfile probed, double perHalo, double request, double haloSpeedUp,
                                      int[] rows) {
        LinkProfile trial = new LinkProfile(probed.bandwidthBytesPerSecond(), perHalo, request, probed.burstBytes(),
                probed.bandwidthBytesPerSecond() * haloSpeedUp);
        CostModel pair = new CostModel(g, new DeviceProfiles.Cluster(List.of(
                initiator.withLink(new LinkProfile(10e9 / 8, perHalo)),
                device(name, o.presets.get(w + 1), rate, o.cpu.get(w), trial)), LOCAL));
        return pair.predict(rows).latencySeconds();
    }

    /**
     * The splits the initiator's cost per extra worker is fitted on: the initiator with the first two workers, rows in
     * proportion to the three rates (at a third each, the 0.3-core worker's 76 rows set the pace and its own misfit
     * went into the fit: VGG-16 8.9 and then 24.8 ms in two runs), and, with a third worker, all four devices with each
     * device's share halfway between an equal one and one in proportion to the rates: a four-device split unlike the
     * strategies' {@code equal} and {@code proportional} ones, whose bands are of the same kind. (A thin band on the
     * third worker instead made a split the model over-predicts by up to 19 %: a 0.2-core device with little to do runs
     * at full speed while its quota lasts.) Empty with fewer than two workers.
     */
    static List<int[]> multiWorkerSplits(double[] rates, int h) {
        List<int[]> out = new ArrayList<>();
        if (rates.length >= 3) {
            out.add(proportionalRows(Arrays.copyOf(rates, 3), h));
        }
        if (rates.length >= 4) {
            double[] four = Arrays.copyOf(rates, 4);
            double total = Arrays.stream(four).sum();
            double[] share = new double[4];
            for (int i = 0; i < 4; i++) {
                share[i] = 0.25 + four[i] / total;
            }
            out.add(proportionalRows(share, h));
        }
        return out;
    }

    /**
     * The cost per worker beyond the first that brings predictions {@code predicted} (made without it) of splits
     * with {@code extra[k]} workers beyond the first closest to their measured latencies: least squares of the
     * relative errors, the model being linear in it ({@code predicted[k] + extra[k] * x}); 0 at least.
     */
    static double extraWorkerFit(int[] extra, double[] measured, double[] predicted) {
        double num = 0;
        double den = 0;
        for (int k = 0; k < extra.length; k++) {
            double w = 1 / (measured[k] * measured[k]);
            num += w * extra[k] * (measured[k] - predicted[k]);
            den += w * extra[k] * extra[k];
        }
        return den > 0 ? Math.max(0, num / den) : 0;
    }

    /** {@code h} rows in proportion to {@code rates}, at least one each (largest remainders). */
    static int[] proportionalRows(double[] rates, int h) {
        int[] rows = Baselines.apportion(rates, h - rates.length);
        for (int i = 0; i < rows.length; i++) {
            rows[i]++;
        }
        return rows;
    }

    private static DeviceProfile device(String name, String preset, double rate, double cores, LinkProfile link) {
        DeviceProfile p = DeviceProfiles.preset(preset);
        Map<LayerType, Double> rates = new EnumMap<>(LayerType.class);
        rates.put(LayerType.CONV3X3, rate);
        rates.put(LayerType.OTHER, rate);
        Map<String, String> sources = new LinkedHashMap<>(p.sources());
        sources.put("rates", "measured on the testbed: whole model alone under a " + cores + "-core quota");
        sources.put("link", "probed over the transport (scatter and gather of a probe model)");
        return new DeviceProfile(name, "emulated device, power as " + preset, rates, p.memoryBytes(), p.idleWatts(),
                p.computeWatts(), p.transmitWatts(), link, sources);
    }

    static final int CALIBRATION_WARMUPS = 3;
    /** Times each calibration split is timed; the middle one counts. */
    static final int PAIR_PASSES = 3;
    /** Most the calibration speeds up a link's halos over its probed bandwidth. */
    static final double MAX_HALO_SPEED_UP = 4;
    static final double CALIBRATION_WARMUP_SECONDS = 3;
    /** Least warm-up time of every timed plan. */
    static final double WARMUP_MIN_SECONDS = 3;

    /** Wall times of timed runs and what the workers' counters say they did per run. */
    record Timing(double medianMs, double minMs, double maxMs, Map<String, Double> computeNs, Map<String, Double> flops) {
    }

    static Timing time(CoEdgeCluster cluster, PartitionedSession s, Arena arena, Tensor input, int warmups, int runs) {
        return sample(cluster, s, arena, input, warmups, runs).timing();
    }

    /** Each timed run's wall time and, per device, what its counters say it did in that run. */
    record Samples(double[] ms, Map<String, double[]> computeNs, Map<String, double[]> flops) {

        /** Medians over the runs: one run slowed by a load spike moves neither the latency nor a device's rate. */
        Timing timing() {
            Map<String, Double> cp = new LinkedHashMap<>();
            Map<String, Double> fl = new LinkedHashMap<>();
            computeNs.forEach((w, v) -> cp.put(w, median(v)));
            flops.forEach((w, v) -> fl.put(w, median(v)));
            return new Timing(median(ms), Arrays.stream(ms).min().orElse(0), Arrays.stream(ms).max().orElse(0), cp, fl);
        }

        /** The runs of several passes as one set (a device missing from a pass's counters keeps the runs it has). */
        static Samples pool(List<Samples> passes) {
            double[] ms = passes.stream().flatMapToDouble(p -> Arrays.stream(p.ms())).toArray();
            return new Samples(ms, poolMaps(passes, Samples::computeNs), poolMaps(passes, Samples::flops));
        }

        private static Map<String, double[]> poolMaps(List<Samples> passes,
                                                      java.util.function.Function<Samples, Map<String, double[]>> of) {
            Map<String, double[]> out = new LinkedHashMap<>();
            for (Samples p : passes) {
                of.apply(p).forEach((w, v) -> out.merge(w, v, (a, b) -> {
                    double[] c = Arrays.copyOf(a, a.length + b.length);
                    System.arraycopy(b, 0, c, a.length, b.length);
                    return c;
                }));
            }
            return out;
        }
    }

    /**
     * Times each plan in {@code passes} passes over all of them, each pass starting one plan later (rotated), and
     * pools each plan's runs: a slow spell of the shared machine that lasts less than a pass then falls on a third
     * of a plan's runs, which the median passes over, instead of on all of them. Every pass warms each plan up
     * again (at least {@value #WARMUP_MIN_SECONDS} s), since the plan before it replaced it on the workers.
     */
    static List<Timing> timeInPasses(CoEdgeCluster cluster, List<PartitionedSession> sessions, Arena arena, Tensor input,
                                     int warmups, int runs, int passes) {
        int k = sessions.size();
        List<List<Samples>> perPlan = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            perPlan.add(new ArrayList<>());
        }
        for (int pass = 0; pass < passes; pass++) {
            for (int j = 0; j < k; j++) {
                int idx = (j + pass) % k;
                perPlan.get(idx).add(sample(cluster, sessions.get(idx), arena, input, warmups, runs));
            }
        }
        return perPlan.stream().map(p -> Samples.pool(p).timing()).toList();
    }

    static Samples sample(CoEdgeCluster cluster, PartitionedSession s, Arena arena, Tensor input, int warmups, int runs) {
        long start = System.nanoTime();
        for (int i = 0; i < warmups; i++) {
            s.infer(arena, input);
        }
        // A new plan follows one that may have left work behind (the previous session's transfers draining, JIT
        // of other shapes, GC): keep warming up for at least 3 s, so the timed runs see the steady state (1 s
        // was not enough: a single-device plan right after a four-device one still measured up to twice its
        // steady time).
        for (int i = warmups; i < 40 && System.nanoTime() - start < (long) (WARMUP_MIN_SECONDS * 1e9); i++) {
            s.infer(arena, input);
        }
        // A fresh worker JVM compiles its hot loops on the same quota it computes with: warm up for a few
        // seconds when asked for more than the configured warm-ups (calibration), so the JIT is done.
        if (warmups >= CALIBRATION_WARMUPS) {
            long end = System.nanoTime() + (long) (CALIBRATION_WARMUP_SECONDS * 1e9);
            for (int i = warmups; i < 40 && System.nanoTime() < end; i++) {
                s.infer(arena, input);
            }
        }
        // the counters per run, and their median: one run slowed by a load spike does not move a worker's rate
        double[] ms = new double[runs];
        Map<String, double[]> cpRuns = new LinkedHashMap<>();
        Map<String, double[]> flRuns = new LinkedHashMap<>();
        for (int i = 0; i < runs; i++) {
            Map<String, long[]> before = counters(cluster);
            long t0 = System.nanoTime();
            s.infer(arena, input);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            Map<String, long[]> after = counters(cluster);
            int run = i;
            after.forEach((w, a) -> {
                long[] b = before.getOrDefault(w, new long[2]);
                cpRuns.computeIfAbsent(w, k -> new double[runs])[run] = a[0] - b[0];
                flRuns.computeIfAbsent(w, k -> new double[runs])[run] = a[1] - b[1];
            });
        }
        return new Samples(ms, cpRuns, flRuns);
    }

    private static double median(double[] v) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        int k = sorted.length;
        return k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
    }

    /**
     * Times several sessions round by round, each round in a rotated order, so that load from elsewhere and any
     * after-effect of one plan on the next spread over every strategy alike. A session whose plan another one
     * replaced on the workers pushes it again on its next call: the warm-up calls before each timed call absorb
     * that (at least one).
     */
    static List<Timing> timeInterleaved(CoEdgeCluster cluster, List<PartitionedSession> sessions, Arena arena, Tensor input,
                                        int warmups, int runs) {
        int k = sessions.size();
        double[][] ms = new double[k][runs];
        List<Map<String, Double>> cp = new ArrayList<>();
        List<Map<String, Double>> fl = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            cp.add(new LinkedHashMap<>());
            fl.add(new LinkedHashMap<>());
        }
        for (int r = 0; r < runs; r++) {
            for (int j = 0; j < k; j++) {
                int idx = (j + r) % k;
                PartitionedSession s = sessions.get(idx);
                for (int w = 0; w < Math.max(1, warmups); w++) {
                    s.infer(arena, input);
                }
                Map<String, long[]> before = counters(cluster);
                long t0 = System.nanoTime();
                s.infer(arena, input);
                ms[idx][r] = (System.nanoTime() - t0) / 1e6;
                Map<String, long[]> after = counters(cluster);
                int fi = idx;
                after.forEach((w, a) -> {
                    long[] b = before.getOrDefault(w, new long[2]);
                    cp.get(fi).merge(w, (double) (a[0] - b[0]) / runs, Double::sum);
                    fl.get(fi).merge(w, (double) (a[1] - b[1]) / runs, Double::sum);
                });
            }
        }
        List<Timing> out = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            out.add(new Timing(median(ms[j]), Arrays.stream(ms[j]).min().orElse(0), Arrays.stream(ms[j]).max().orElse(0),
                    cp.get(j), fl.get(j)));
        }
        return out;
    }

    /** Per worker: {compute ns, FLOPs} totals from its live counters. */
    private static Map<String, long[]> counters(CoEdgeCluster cluster) {
        Map<String, long[]> out = new LinkedHashMap<>();
        Map<String, String> dirs = new LinkedHashMap<>(cluster.workerDirectories());
        dirs.put(LOCAL, cluster.aeronDirectory());
        dirs.forEach((w, dir) -> {
            if (dir == null || dir.isEmpty()) {
                return;
            }
            try (LiveCounters l = LiveCounters.open(dir)) {
                long ns = 0;
                long f = 0;
                for (LiveCounters.Sample x : l.snapshot()) {
                    if (x.subject().equals("all") && x.typeId() == CounterTypes.COMPUTE_NS) {
                        ns += x.value();
                    } else if (x.subject().equals("all") && x.typeId() == CounterTypes.FLOPS) {
                        f += x.value();
                    }
                }
                out.put(w, new long[] {ns, f});
            } catch (RuntimeException e) {
                // a worker's counters not readable: its compute time falls back to the prediction
            }
        });
        return out;
    }


    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    static void write(Evaluation.Options o, List<Outcome> outcomes, List<Calibration> calibrations, String load0,
                      String load1, double seconds) {
        try {
            Files.createDirectories(o.out);
            StringBuilder csv = new StringBuilder("model,strategy,rows,deadline_ms,feasible,predicted_ms,exact_ms,measured_ms,"
                    + "min_ms,max_ms,error_percent,predicted_energy_j,energy_at_measured_times_j\n");
            for (Outcome x : outcomes) {
                csv.append(String.format(Locale.ROOT, "%s,%s,%s,%.1f,%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.3f,%.3f%n", x.model,
                        x.strategy, x.rows, x.deadlineMs, x.feasible, x.predictedMs, x.exactMs, x.measuredMs, x.minMs, x.maxMs,
                        x.errorPercent(), x.predictedJ, x.measuredJ));
            }
            Files.writeString(o.out.resolve("evaluation.csv"), csv);
            StringBuilder cal = new StringBuilder("model,device,power_preset,cpu_cores,mbit,gflops,alone_ms,link_latency_ms,halo_speed_up,"
                    + "request_ms\n");
            for (Calibration c : calibrations) {
                cal.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%.3f,%.1f,%.3f,%.3f,%.3f%n", c.model, c.device, c.preset,
                        Evaluation.Options.fmt(c.cores), Double.isNaN(c.mbit) ? "" : Evaluation.Options.fmt(c.mbit), c.gflops,
                        c.aloneMs, c.latencyMs, c.haloSpeedUp, c.requestMs));
            }
            Files.writeString(o.out.resolve("calibration.csv"), cal);
            Files.writeString(o.out.resolve("evaluation-tables.md"), markdown(o, outcomes, calibrations, load0, load1, seconds));
        } catch (IOException e) {
            System.err.println("evaluation: cannot write results to " + o.out + ": " + e.getMessage());
        }
    }

    static String markdown(Evaluation.Options o, List<Outcome> outcomes, List<Calibration> calibrations, String load0,
                           String load1, double seconds) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Run %s, %.0f s; load average (1/5/15 min) %s at the start, %s at the end; "
                + "%d warm-up(s), median of %s per strategy.%n%n", Instant.now(), seconds, load0, load1, o.warmups,
                o.interleave || o.passes == 1 ? o.runs + " run(s)"
                        : String.format(Locale.ROOT, "%d runs (%d passes of %d)", o.runs * o.passes, o.passes, o.runs)));
        md.append("### Device profiles measured on the testbed\n\n");
        md.append("| model | device | power preset | CPU quota (cores) | cap (Mbit/s) | measured GFLOP/s | alone (ms) | link latency (ms) "
                + "| halos at (x bandwidth) | request (ms; `local`: per worker beyond the first) |\n");
        md.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Calibration c : calibrations) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.2f | %.0f | %.3f | %.2f | %.2f |%n", c.model, c.device,
                    c.preset, Evaluation.Options.fmt(c.cores), Double.isNaN(c.mbit) ? "none (hub)" : Evaluation.Options.fmt(c.mbit),
                    c.gflops, c.aloneMs, c.latencyMs, c.haloSpeedUp, c.requestMs));
        }
        md.append("\n### Predicted vs measured latency\n\n");
        md.append("| model | strategy | rows | deadline (ms) | meets deadline (predicted) | predicted (ms) | exact geometry (ms) "
                + "| measured median (ms) | min..max (ms) | error |\n");
        md.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|\n");
        for (Outcome x : outcomes) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %s | %.0f | %.0f | %.0f | %.0f..%.0f | %+.1f%% |%n",
                    x.model, x.strategy, x.rows, x.deadlineMs, x.feasible ? "yes" : "no", x.predictedMs, x.exactMs,
                    x.measuredMs, x.minMs, x.maxMs, x.errorPercent()));
        }
        md.append("\n### Energy of the CoEdge plan against each baseline (same deadline)\n\n");
        md.append("| model | strategy | predicted energy (J) | energy at measured times (J) | CoEdge saves (predicted) "
                + "| CoEdge saves (at measured times) |\n");
        md.append("|---|---|---:|---:|---:|---:|\n");
        Map<String, Outcome> coedge = new LinkedHashMap<>();
        outcomes.stream().filter(x -> x.strategy.equals("coedge")).forEach(x -> coedge.put(x.model, x));
        for (Outcome x : outcomes) {
            Outcome c = coedge.get(x.model);
            String save = c == null || x == c ? "" : String.format(Locale.ROOT, "%.1f%%", 100 * (1 - c.predictedJ / x.predictedJ));
            String saveM = c == null || x == c ? "" : String.format(Locale.ROOT, "%.1f%%", 100 * (1 - c.measuredJ / x.measuredJ));
            md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %s | %s |%n", x.model, x.strategy, x.predictedJ,
                    x.measuredJ, save, saveM));
        }
        return md.toString();
    }
}
