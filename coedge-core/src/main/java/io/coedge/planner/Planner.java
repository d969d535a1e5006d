package io.coedge.planner;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;
import org.ojalgo.optimisation.integer.IntegerStrategy;

/**
 * Chooses how many input-map rows each device computes: least energy under a latency deadline, or least
 * latency, under the {@link CostModel}.
 *
 * <h2>Formulation (MILP)</h2>
 * Devices {@code i = 1..n} (initiator {@code o}), stages {@code s}, {@code H} input rows; constants from
 * the cost model: {@code c_si} compute seconds per row, {@code c'_si} the part of it after the stage's first
 * layer less the compute per row of the layers run since the stage's halo was sent (may be negative),
 * {@code x_si} the fixed cost of a stage's halo exchanges, paid once however many neighbours send (the device's own
 * time, see {@link CostModel}), {@code y_s} the seconds of one side's halo bytes at the
 * slowest pace any device's halos can have ({@code haloBytes_s / 2 * 2 / min_i bw_i}, {@code bw} the links'
 * bandwidths), {@code rho_i = (1 / bw_i) / (2 / min bw)} the pace of one side over device i's link relative
 * to it,
 * {@code b_si} seconds of one side's boundary rows, computed once the halo is in,
 * {@code r_i, q_i} scatter plus gather seconds per row and fixed (0 for the initiator), {@code tail}.
 * <pre>
 *   a_i  in [0, H] integer      rows of device i
 *   z_i  in {0, 1}              device i owns rows:        z_i &lt;= a_i &lt;= H z_i
 *   s    in {0, 1}              at least two devices own rows:
 *                                 sum z_i &lt;= 1 + (n - 1) s,  sum z_i &gt;= 2 s
 *   g_i  in [0, 1]              device i exchanges halos:  g_i &gt;= z_i + s - 1   (= z_i AND s at the optimum)
 *   up_i, dn_i in [0, 1]        device i has a neighbour that owns rows before / after it (bands follow
 *                               the device order): up_i &gt;= z_i + z_j - 1 (j &lt; i), dn_i &gt;= z_i + z_j - 1
 *                               (j &gt; i), g_i &gt;= up_i, g_i &gt;= dn_i
 *   p_i  in [0, 1]              the pace of device i's halos relative to y (see {@link CostModel}: the
 *                               busiest of its own link, carrying its sides in, and its neighbours' links,
 *                               carrying their sides out): p_i &gt;= rho_i (up_i + dn_i), and for each j != i
 *                               with nb_ij = z_i + z_j - 1 - sum_{k strictly between i and j} z_k (1 when j
 *                               is i's neighbour, else &lt;= 0) and beyond_j = up_j (j &lt; i) or dn_j (j &gt; i):
 *                               p_i &gt;= rho_j nb_ij + rho_j (nb_ij + beyond_j - 1); exact for binary z
 *   T_s  &gt;= 0                  stage time (epigraph of the max), for all i:
 *                                 T_s &gt;= c_si a_i + x_si g_i,
 *                                 T_s &gt;= c'_si a_i + x_si g_i + b_si (up_i + dn_i) + y_s p_i,
 *                               and where the stage's halo queues behind earlier-sent ones ({@link CostModel}:
 *                               y^q_s their bytes at the reference pace, c''_si = c'_si less the compute
 *                               between the sends)
 *                                 T_s &gt;= c''_si a_i + x_si g_i + b_si (up_i + dn_i) + (y_s + y^q_s) p_i
 *   U    &gt;= 0                  scatter plus gather, for all i != o: U &gt;= r_i a_i + q_i z_i; on a link
 *                               with a burst, U &gt;= r_ik a_i + q_ik z_i for its four pieces k (the convex
 *                               max(0, scatter - burst) + max(0, gather - burst) + q_i, see
 *                               {@link CostModel}), and v_i &gt;= the same for the energy term below
 *   X    &gt;= 0                  the initiator's cost of the workers beyond the first ({@code w_o} its
 *                               per-request cost, see {@link CostModel}): X &gt;= w_o (sum_{i != o} z_i - 1)
 *   L    = sum_s T_s + U + X + tail  &lt;= D
 *   sum a_i = H
 *   memory: W z_i + m a_i + h_max g_i &lt;= M_i
 * </pre>
 * The halo and message-latency terms are fixed costs switched on by {@code g_i} and {@code z_i}: a device
 * that owns no rows pays nothing, which is what makes leaving a device out worth considering.
 *
 * <p>Objective {@code latency}: minimise {@code L}. Objective {@code energy}: minimise
 * <pre>
 *   P_idle_o L + sum_{i != o} P_idle_i w_i + sum_i [ (P_cp_i - P_idle_i) sum_s c_si a_i
 *                                                    + (P_tx_i - P_idle_i) sum_s (x_si g_i + y_s p_i) ]
 *   + sum_{i != o} (P_tx_i - P_idle_i + P_tx_o - P_idle_o)(r_i a_i + q_i z_i, or v_i) + (P_cp_o - P_idle_o) (tail + X)
 * </pre>
 * where {@code w_i = z_i L} (idle energy is paid only by devices that take part) is linearised with the
 * deadline as big-M: {@code w_i >= L - D (1 - z_i)}, {@code w_i >= 0}; since {@code L <= D} this is exact
 * for binary {@code z_i}.
 *
 * <h2>Fast path (what {@link #plan} runs)</h2>
 * <ol>
 * <li>Solve the LP relaxation of the MILP (all variables continuous); its support (devices with
 *     {@code a_i > 0}) is the first device selection.</li>
 * <li>For a selection, fix {@code z} (and so {@code s}, {@code g}): the rest is an LP in {@code a} and
 *     {@code T}; solve it, round the rows (floor, then largest remainders), and repair with single-row
 *     moves between selected devices: first until the deadline and memory hold, then while energy
 *     (or latency) improves.</li>
 * <li>Greedy device elimination: drop the device whose removal improves the result most, repeat until no
 *     removal helps.</li>
 * </ol>
 * The LPs of the fast path leave out the second stage constraint (a halo slower than the interior rows)
 * and the neighbour variables: in the relaxation {@code z_i} is about {@code a_i / H}, so the halo terms
 * they switch on nearly vanish, and for a fixed selection they only matter where a device's share is
 * small; the rounding and the repair moves evaluate the full cost model. This halves the LPs (the
 * planner's solve-time target); the optimality-gap test compares the result against the full MILP.
 * The energy plan is never worse than the latency-minimal plan when that one meets the deadline, so the
 * fast path is feasible whenever it finds a latency-minimal plan within the deadline.
 * {@link #exact} solves the MILP itself with ojAlgo's branch and bound (reference on small instances).
 *
 * <p>A planner is for one thread at a time (it keeps the current relaxation while it searches); create
 * one per thread, they are cheap.
 */
public final class Planner {
    /** What to minimise. */
    public enum Objective {
        ENERGY, LATENCY;

        public static Objective parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "energy" -> ENERGY;
                case "latency" -> LATENCY;
                default -> throw new IllegalArgumentException("unknown objective '" + s + "'; use energy or latency");
            };
        }
    }

    /**
     * The MILP's time unit, milliseconds (and megabytes, see {@link #solve}): seconds-per-row coefficients near
     * 1e-5 and byte counts near 1e9 in one model make the solver's tolerances misjudge feasibility.
     */
    private static final double K = 1e3;

    private final CostModel m;
    private final int n;
    private final int h;
    private final int init;
    private final long[] budget;
    private final double[] secondsPerRow;

    public Planner(CostModel model) {
        this.m = model;
        this.n = model.deviceCount();
        this.h = model.inputRows();
        this.init = model.initiatorIndex();
        this.budget = new long[n];
        for (int i = 0; i < n; i++) {
            budget[i] = model.cluster().devices().get(i).memoryBytes();
        }
        this.secondsPerRow = new double[n];
        for (double[] stage : model.cp) {
            for (int i = 0; i < n; i++) {
                secondsPerRow[i] += stage[i];
            }
        }
        for (int i = 0; i < n; i++) {
            secondsPerRow[i] = Math.max(secondsPerRow[i], 1e-12);
        }
    }

    /**
     * Parses a deadline such as {@code 250ms}, {@code 1.5s} or {@code 250} (milliseconds) into seconds.
     *
     * @throws IllegalArgumentException for anything else, or a deadline that is not positive
     */
    public static double parseDeadline(String text) {
        double s = Units.seconds("deadline", text);
        if (!(s > 0)) {
            throw new IllegalArgumentException("deadline must be positive, got '" + text + "'");
        }
        return s;
    }

    public CostModel costModel() {
        return m;
    }

    /**
     * The fast path. {@code ENERGY}: least energy with latency at most {@code deadlineSeconds}; when no plan
     * meets it, an infeasible result holding the latency-minimal plan and its latency. {@code LATENCY}: the
     * latency-minimal plan ({@code feasible} says whether it meets the deadline; pass
     * {@code Double.POSITIVE_INFINITY} for none).
     */
    public PlanResult plan(Objective objective, double deadlineSeconds) {
        if (!(deadlineSeconds > 0)) {
            throw new IllegalArgumentException("the deadline must be positive, got " + deadlineSeconds + " s");
        }
        PlanResult lat = latencyMinimal(deadlineSeconds);
        if (objective == Objective.LATENCY || !lat.feasible()) {
            return lat.withStrategy(objective == Objective.LATENCY ? "latency" : "coedge");
        }
        Candidate e = search(Objective.ENERGY, deadlineSeconds);
        PlanResult best = lat.withStrategy("coedge");
        if (e != null && e.feasible) {
            PlanResult r = result("coedge", polish(e.rows, Objective.ENERGY, deadlineSeconds), deadlineSeconds,
                    "LP relaxation, rounding and repair");
            if (r.feasible() && r.energyJoules() < best.energyJoules()) {
                best = r;
            }
        }
        return best;
    }

    /** Rounds of {@link #polish}; each evaluates up to four moves per pair of neighbouring devices. */
    static final int POLISH_ROUNDS = 3;
    /**
     * Most plans {@link #polish} evaluates (each one plan's halos; a move works out the bands of the two devices it
     * touches, some 20 microseconds for GoogLeNet on 8 devices, see {@link io.coedge.partition.PlanTransfers}).
     */
    static final int POLISH_BUDGET = 48;

    /**
     * Where the cost model charges each plan's own halos ({@link CostModel#chargesPlanHalos()}), shifts band
     * boundaries by one or two rows while that makes the plan better under them: the search plans on the even
     * split's halo bytes, but on maps of 7 to 28 rows where a boundary falls decides how many rows each side receives,
     * and whether it receives any. Hill climbing over the moves between neighbouring devices that own rows (each move
     * one plan's halos, at most {@value #POLISH_BUDGET} in all), feasibility first, then the objective; the
     * devices that own rows stay the same.
     */
    private int[] polish(int[] rows, Objective obj, double deadline) {
        if (!m.chargesPlanHalos()) {
            return rows;
        }
        Candidate cur = planHalosCandidate(rows, deadline);
        int budget = POLISH_BUDGET - 1;
        for (int round = 0; round < POLISH_ROUNDS && budget > 0; round++) {
            Candidate best = cur;
            int prev = -1;
            for (int i = 0; i < n; i++) {
                if (cur.rows[i] == 0) {
                    continue;
                }
                for (int d = -2; prev >= 0 && d <= 2; d++) {
                    int[] t = cur.rows.clone();
                    t[prev] += d;
                    t[i] -= d;
                    if (d != 0 && t[prev] > 0 && t[i] > 0 && budget-- > 0) {
                        Candidate c = planHalosCandidate(t, deadline);
                        if (c.betterThan(best, obj)) {
                            best = c;
                        }
                    }
                }
                prev = i;
            }
            if (best == cur) {
                break;
            }
            cur = best;
        }
        return cur.rows;
    }

    private Candidate planHalosCandidate(int[] rows, double deadline) {
        Prediction p = m.predict(rows);
        return new Candidate(rows, new double[] {p.latencySeconds(), p.energyJoules(), p.memoryOk() ? 0 : 1e9}, deadline);
    }

    /** The fast latency-minimal plan, marked feasible when it meets {@code deadlineSeconds}. */
    public PlanResult latencyMinimal(double deadlineSeconds) {
        Candidate c = search(Objective.LATENCY, Double.POSITIVE_INFINITY);
        if (c == null) {
            int[] local = new int[n];
            local[init] = h;
            return new PlanResult("latency", local, m.predict(local), false,
                    "no split fits the devices' memory budgets; showing the initiator alone");
        }
        return result("latency", polish(c.rows, Objective.LATENCY, Double.POSITIVE_INFINITY), deadlineSeconds, "");
    }

    private PlanResult result(String name, int[] rows, double deadline, String how) {
        Prediction p = m.predict(rows);
        boolean ok = p.feasible(deadline);
        String note = how;
        if (!p.memoryOk()) {
            note = "exceeds a device's memory budget";
        } else if (!ok) {
            note = String.format(Locale.ROOT, "deadline %.3f ms cannot be met; minimum predicted latency %.3f ms",
                    deadline * 1e3, p.latencySeconds() * 1e3);
        }
        return new PlanResult(name, rows, p, ok, note);
    }

    /**
     * Solves the MILP above exactly with ojAlgo's branch and bound, for reference on small clusters (the
     * time grows quickly with the number of devices; each solve is capped at
     * {@value #EXACT_TIME_LIMIT_MS} ms). Same contract as {@link #plan}; the strategy is named {@code milp}.
     */
    public PlanResult exact(Objective objective, double deadlineSeconds) {
        int[] lat = exactSingleModel(Objective.LATENCY, Double.POSITIVE_INFINITY);
        if (lat == null) {
            int[] local = new int[n];
            local[init] = h;
            return new PlanResult("milp", local, m.predict(local), false, "no split fits the memory budgets");
        }
        PlanResult latency = result("milp", lat, deadlineSeconds, "exact MILP");
        if (objective == Objective.LATENCY || !latency.feasible()) {
            return latency;
        }
        int[] e = exactSingleModel(Objective.ENERGY, deadlineSeconds);
        if (e == null) {
            return latency;
        }
        PlanResult r = result("milp", e, deadlineSeconds, "exact MILP");
        return r.feasible() && r.energyJoules() <= latency.energyJoules() ? r : latency;
    }

    /** Wall-clock cap of one exact MILP solve, milliseconds. */
    static final long EXACT_TIME_LIMIT_MS = 5000;

    /** The whole MILP (binaries included) in one ojAlgo model; null when ojAlgo finds no solution. */
    int[] exactSingleModel(Objective objective, double deadlineSeconds) {
        Lp l = solve(objective, objective == Objective.ENERGY ? deadlineSeconds : Double.POSITIVE_INFINITY, true, null);
        return l == null ? null : integral(l.a);
    }

    /** Times ojAlgo's recursive branch and bound ran out of stack (counted for the reference tests). */
    static final java.util.concurrent.atomic.AtomicInteger MILP_FAILURES = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * ojAlgo's branch and bound recurses once per branching level; on some instances it dives deep
     * enough to overflow a default thread stack, so the exact solve runs on a thread with a large one.
     * Returns null (and counts a failure) when even that overflows.
     */
    private static Optimisation.Result minimiseWithDeepStack(ExpressionsBasedModel model) {
        Optimisation.Result[] out = new Optimisation.Result[1];
        Thread t = new Thread(null, () -> {
            try {
                out[0] = model.minimise();
            } catch (StackOverflowError e) {
                MILP_FAILURES.incrementAndGet();
            }
        }, "coedge-milp", 256L << 20);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        return out[0];
    }

    private int[] integral(double[] a) {
        int[] r = new int[n];
        int sum = 0;
        int big = 0;
        for (int i = 0; i < n; i++) {
            r[i] = (int) Math.round(a[i]);
            sum += r[i];
            if (r[i] > r[big]) {
                big = i;
            }
        }
        r[big] += h - sum;
        return r;
    }

    // ---- fast path ------------------------------------------------------------------------------------

    private static final class Candidate {
        final int[] rows;
        final boolean feasible;
        final double violation;
        final double energy;
        final double latency;
        final double excess;

        Candidate(int[] rows, double[] q, double deadline) {
            this.rows = rows;
            this.latency = q[0];
            this.energy = q[1];
            this.excess = q[2];
            this.violation = Math.max(0, q[0] - deadline * (1 + 1e-9)) + q[2] * 1e-9;
            this.feasible = violation == 0;
        }

        boolean betterThan(Candidate o, Objective obj) {
            if (o == null) {
                return true;
            }
            if (feasible != o.feasible) {
                return feasible;
            }
            if (!feasible) {
                return violation < o.violation - 1e-15;
            }
            double mine = obj == Objective.ENERGY ? energy : latency;
            double theirs = obj == Objective.ENERGY ? o.energy : o.latency;
            return mine < theirs * (1 - 1e-12);
        }
    }

    private Candidate search(Objective obj, double deadline) {
        Lp relaxed = solve(obj, deadline, false, null);
        if (relaxed == null) {
            return null;
        }
        boolean[] sel = new boolean[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            sel[i] = relaxed.a[i] > 1e-6;
            count += sel[i] ? 1 : 0;
        }
        if (count == 0) {
            sel[init] = true;
        }
        Map<Long, Candidate> cache = new HashMap<>();
        this.start = relaxed.a;
        Candidate found = selectionSearch(sel, obj, deadline, cache);
        // Polish: the exact LP for the chosen selection, rounded and repaired, when it does better than the
        // selection search's own rows.
        boolean[] chosen = new boolean[n];
        for (int i = 0; i < n; i++) {
            chosen[i] = found.rows[i] > 0;
        }
        if (countOf(chosen) > 1) {
            Lp lp = solve(obj, deadline, false, chosen);
            if (lp != null) {
                int[] rows = round(lp.a, chosen);
                if (rows != null) {
                    Candidate c = improve(rows, chosen, obj, deadline);
                    if (c.betterThan(found, obj)) {
                        found = c;
                    }
                }
            }
        }
        return found;
    }

    /** The relaxed LP's rows: the starting point for every selection the search evaluates. */
    private double[] start;

    private Candidate selectionSearch(boolean[] sel, Objective obj, double deadline, Map<Long, Candidate> cache) {
        if (n <= EXHAUSTIVE_MAX_DEVICES) {
            // Few devices: every selection. A device's halos depend on its neighbours' links, so leaving out two
            // devices can pay where leaving out either alone does not, which a local search misses.
            Candidate best = null;
            for (int mask = 1; mask < 1 << n; mask++) {
                boolean[] t = new boolean[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (mask >> i & 1) != 0;
                }
                Candidate c = evaluateSelection(t, obj, deadline, cache);
                if (c != null && c.betterThan(best, obj)) {
                    best = c;
                }
            }
            return best;
        }
        Candidate fromLp = localSearch(sel, obj, deadline, cache);
        // One device alone needs no LP: every single-device plan is checked, and the search is run again
        // from the best of them when it beats the LP's neighbourhood (the selection landscape is not convex).
        Candidate bestSingle = null;
        int single = -1;
        for (int i = 0; i < n; i++) {
            boolean[] t = new boolean[n];
            t[i] = true;
            Candidate c = evaluateSelection(t, obj, deadline, cache);
            if (c != null && c.betterThan(bestSingle, obj)) {
                bestSingle = c;
                single = i;
            }
        }
        if (bestSingle != null && bestSingle.betterThan(fromLp, obj)) {
            boolean[] t = new boolean[n];
            t[single] = true;
            Candidate c = localSearch(t, obj, deadline, cache);
            return c.betterThan(fromLp, obj) ? c : fromLp;
        }
        return fromLp;
    }

    /** Up to this many devices the selection search evaluates every selection. */
    static final int EXHAUSTIVE_MAX_DEVICES = 5;

    /** Above this many devices the selection search only drops and adds devices (no swaps): speed. */
    static final int SWAP_MAX_DEVICES = 6;

    private Candidate localSearch(boolean[] start, Objective obj, double deadline, Map<Long, Candidate> cache) {
        boolean[] sel = start.clone();
        Candidate best = evaluateSelection(sel, obj, deadline, cache);
        // Local search over device selections: drop one device, add one, or swap one in for one out;
        // take the best improving neighbour until none improves.
        while (true) {
            Candidate bestNext = null;
            boolean[] bestSel = null;
            for (int i = 0; i < n; i++) {
                for (int j = -1; j < n; j++) {
                    // (i, -1): toggle i; (i, j): swap selected i out and unselected j in
                    if (j >= 0 && (n > SWAP_MAX_DEVICES || !sel[i] || sel[j])) {
                        continue;
                    }
                    boolean[] t = sel.clone();
                    t[i] = !t[i];
                    if (j >= 0) {
                        t[j] = true;
                    }
                    if (countOf(t) == 0) {
                        continue;
                    }
                    Candidate c = evaluateSelection(t, obj, deadline, cache);
                    if (c != null && c.betterThan(bestNext, obj)) {
                        bestNext = c;
                        bestSel = t;
                    }
                }
            }
            if (bestNext != null && bestNext.betterThan(best, obj)) {
                best = bestNext;
                sel = bestSel;
            } else {
                break;
            }
        }
        return best;
    }

    private static int countOf(boolean[] sel) {
        int c = 0;
        for (boolean b : sel) {
            c += b ? 1 : 0;
        }
        return c;
    }

    private Candidate evaluateSelection(boolean[] sel, Objective obj, double deadline, Map<Long, Candidate> cache) {
        long key = 0;
        for (int i = 0; i < n; i++) {
            key |= sel[i] ? 1L << i : 0;
        }
        if (n <= 62 && cache.containsKey(key)) {
            return cache.get(key);
        }
        // Start from the relaxed LP's rows on the selected devices when they carry most of the map, else
        // from rows proportional to each device's speed; the repair moves do the rest. No LP here: the
        // selection search evaluates many selections, and one LP for the final one polishes the result.
        double[] a = new double[n];
        double onSel = 0;
        for (int i = 0; i < n; i++) {
            if (sel[i] && start != null) {
                onSel += start[i];
            }
        }
        if (onSel > 0.5 * h) {
            for (int i = 0; i < n; i++) {
                a[i] = sel[i] ? start[i] * h / onSel : 0;
            }
        } else {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                a[i] = sel[i] ? 1.0 / secondsPerRow[i] : 0;
                sum += a[i];
            }
            for (int i = 0; i < n; i++) {
                a[i] = a[i] * h / sum;
            }
        }
        int[] rows = round(a, sel);
        Candidate c = rows == null ? null : improve(rows, sel, obj, deadline);
        if (n <= 62) {
            cache.put(key, c);
        }
        return c;
    }

    /** Floor, then hand the remaining rows out by largest fractional part; selected devices get >= 1 row. */
    private int[] round(double[] a, boolean[] sel) {
        int k = countOf(sel);
        if (k > h) {
            return null;
        }
        int[] r = new int[n];
        int sum = 0;
        for (int i = 0; i < n; i++) {
            if (sel[i]) {
                r[i] = Math.max(1, (int) Math.floor(a[i] + 1e-9));
                sum += r[i];
            }
        }
        while (sum < h) {
            int bi = -1;
            double bf = -1;
            for (int i = 0; i < n; i++) {
                if (sel[i]) {
                    double f = a[i] - r[i];
                    if (f > bf) {
                        bf = f;
                        bi = i;
                    }
                }
            }
            r[bi]++;
            sum++;
        }
        while (sum > h) {
            int bi = -1;
            double bf = Double.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (sel[i] && r[i] > 1) {
                    double f = a[i] - r[i];
                    if (f < bf) {
                        bf = f;
                        bi = i;
                    }
                }
            }
            r[bi]--;
            sum--;
        }
        return r;
    }

    /**
     * Moves of rows between selected devices: repair violations first, then improve the objective. Steps
     * shrink from a sixteenth of the map to one row, so a poor start converges in a few sweeps.
     */
    private Candidate improve(int[] rows, boolean[] sel, Objective obj, double deadline) {
        Candidate cur = new Candidate(rows.clone(), quick(rows), deadline);
        Moves mv = new Moves(cur.rows);
        for (int step = Math.max(1, Integer.highestOneBit(Math.max(1, h / 16))); step >= 1; step /= 2) {
            for (int it = 0; it < 4 * h + 16; it++) {
                Candidate best = null;
                int bj = -1, bk = -1;
                for (int j = 0; j < n; j++) {
                    if (!sel[j] || cur.rows[j] <= step) {
                        continue;
                    }
                    for (int k = 0; k < n; k++) {
                        if (k == j || !sel[k]) {
                            continue;
                        }
                        Candidate c = new Candidate(null, mv.after(cur, j, k, step), deadline);
                        if (c.betterThan(best, obj)) {
                            best = c;
                            bj = j;
                            bk = k;
                        }
                    }
                }
                if (best != null && best.betterThan(cur, obj)) {
                    int[] t = cur.rows.clone();
                    t[bj] -= step;
                    t[bk] += step;
                    cur = new Candidate(t, quick(t), deadline);
                    mv.reset(t);
                } else {
                    break;
                }
            }
        }
        return cur;
    }

    /**
     * Evaluates moving rows between two devices in O(stages) instead of O(stages x devices): a move changes
     * only the two devices' stage times, so each stage's new maximum is the larger of their new times and
     * the largest time among the other devices (kept as each stage's top three). Scatter plus gather, whose
     * slowest device counts, is one more such maximum (row {@code ns}). The set of devices that own rows does
     * not change inside {@link #improve}, so idle power and halo terms stay fixed.
     */
    private final class Moves {
        private final int ns = m.cp.length;
        private final double[][] v = new double[ns + 1][];
        private final int[][] top = new int[ns + 1][3];
        private final double[] cpTotal = new double[n];
        private double idleSum;
        private int[] sides = new int[n];
        private double[] pace = new double[n];

        Moves(int[] rows) {
            for (int s = 0; s <= ns; s++) {
                v[s] = new double[n];
                for (int i = 0; s < ns && i < n; i++) {
                    cpTotal[i] += m.cp[s][i];
                }
            }
            reset(rows);
        }

        /** Device i's time in row s (a stage, or ns: scatter plus gather) owning {@code rows > 0} rows. */
        private double time(int s, int i, int rows) {
            if (s < ns) {
                return m.stageSeconds(s, i, rows, sides[i], pace[i]);
            }
            return i == init ? 0 : m.scatterGatherSeconds(i, rows);
        }

        void reset(int[] rows) {
            sides = CostModel.sides(rows);
            pace = m.sidePace(rows);
            idleSum = m.idleW[init];
            for (int i = 0; i < n; i++) {
                if (i != init && rows[i] > 0) {
                    idleSum += m.idleW[i];
                }
            }
            for (int s = 0; s <= ns; s++) {
                int t0 = -1, t1 = -1, t2 = -1;
                for (int i = 0; i < n; i++) {
                    double x = rows[i] > 0 ? time(s, i, rows[i]) : 0;
                    v[s][i] = x;
                    if (t0 < 0 || x > v[s][t0]) {
                        t2 = t1;
                        t1 = t0;
                        t0 = i;
                    } else if (t1 < 0 || x > v[s][t1]) {
                        t2 = t1;
                        t1 = i;
                    } else if (t2 < 0 || x > v[s][t2]) {
                        t2 = i;
                    }
                }
                top[s][0] = t0;
                top[s][1] = t1;
                top[s][2] = t2;
            }
        }

        /** {latency, energy, memory excess} after moving {@code step} rows from {@code j} to {@code k}. */
        double[] after(Candidate cur, int j, int k, int step) {
            double dLat = 0;
            int rj = cur.rows[j] - step;
            int rk = cur.rows[k] + step;
            for (int s = 0; s <= ns; s++) {
                int[] t = top[s];
                double others = 0;
                for (int q = 0; q < 3; q++) {
                    int i = t[q];
                    if (i >= 0 && i != j && i != k) {
                        others = v[s][i];
                        break;
                    }
                }
                double nj = rj > 0 ? time(s, j, rj) : 0;
                double nk = time(s, k, rk);
                dLat += Math.max(others, Math.max(nj, nk)) - v[s][t[0]];
            }
            double dEnergyVar = -m.dcpW[j] * cpTotal[j] * step + m.dcpW[k] * cpTotal[k] * step;
            if (j != init) {
                dEnergyVar -= (m.dtxW[j] + m.dtxW[init])
                        * (m.scatterGatherSeconds(j, cur.rows[j]) - m.scatterGatherSeconds(j, rj));
            }
            if (k != init) {
                dEnergyVar += (m.dtxW[k] + m.dtxW[init])
                        * (m.scatterGatherSeconds(k, rk) - m.scatterGatherSeconds(k, cur.rows[k]));
            }
            double excess = cur.excess - excess(j, cur.rows[j]) - excess(k, cur.rows[k])
                    + excess(j, cur.rows[j] - step) + excess(k, cur.rows[k] + step);
            return new double[] {cur.latency + dLat, cur.energy + idleSum * dLat + dEnergyVar, Math.max(0, excess)};
        }

        /** Memory excess of an owner; j and k both own rows before and after a move, so halos count. */
        private double excess(int i, int rows) {
            double mem = m.memFixedWhenRows[i] + m.memRow[i] * rows + m.memHalo[i];
            return Math.max(0, mem - m.memBudget[i]);
        }
    }

    /** {@link Moves#after} for one move from {@code rows} (for tests: must equal {@link #quick}). */
    double[] evaluateMove(int[] rows, int from, int to, int step) {
        Candidate cur = new Candidate(rows.clone(), quick(rows), Double.POSITIVE_INFINITY);
        return new Moves(cur.rows).after(cur, from, to, step);
    }

    /** {latency, energy, memory excess bytes} of an integer split, without building a {@link Prediction}. */
    double[] quick(int[] rows) {
        int owners = 0;
        for (int r : rows) {
            owners += r > 0 ? 1 : 0;
        }
        boolean split = owners >= 2;
        int[] sides = CostModel.sides(rows);
        double[] pace = m.sidePace(rows);
        double sumStages = 0;
        double energyVar = 0;
        int ns = m.cp.length;
        for (int s = 0; s < ns; s++) {
            double mx = 0;
            double[] cps = m.cp[s];
            for (int i = 0; i < n; i++) {
                if (rows[i] == 0) {
                    continue;
                }
                double c = cps[i] * rows[i];
                double t = m.haloSeconds(s, i, sides[i], pace[i]);
                mx = Math.max(mx, m.stageSeconds(s, i, rows[i], sides[i], pace[i]));
                energyVar += m.dcpW[i] * c + m.dtxW[i] * t;
            }
            sumStages += mx;
        }
        double sg = 0;
        double idle = m.idleW[init];
        double excess = 0;
        int workers = 0;
        for (int i = 0; i < n; i++) {
            if (rows[i] == 0) {
                continue;
            }
            if (i != init) {
                workers++;
                double t = m.scatterGatherSeconds(i, rows[i]);
                sg = Math.max(sg, t);
                energyVar += (m.dtxW[i] + m.dtxW[init]) * t;
                idle += m.idleW[i];
            }
            double mem = m.memFixedWhenRows[i] + m.memRow[i] * rows[i] + (split ? m.memHalo[i] : 0);
            excess += Math.max(0, mem - m.memBudget[i]);
        }
        if (m.memBudget[init] < 0) {
            excess -= m.memBudget[init];
        }
        double coordination = m.extraWorkerSeconds(workers);
        double latency = sumStages + sg + coordination + m.tail;
        double energy = idle * latency + energyVar + m.dcpW[init] * (m.tail + coordination);
        return new double[] {latency, energy, excess};
    }

    // ---- LP / MILP -----------------------------------------------------------------------------------

    private record Lp(double[] a, double objective) {
    }

    /**
     * The right-hand side of a halo-bound stage constraint whose row term is already in {@code e}: the
     * exchanges' fixed cost once, the boundary rows per neighbour, and {@code halfBytes} per side at the device's pace.
     */
    private void lateBound(Expression e, int s, int i, double halfBytes, boolean[] fixed, int[] fixedSides,
                           double[] fixedPace, boolean integer, Variable[] g, Variable[] up, Variable[] dn,
                           Variable[] pace) {
        if (fixed != null) {
            e.lower(K * (m.hxLat[s][i] * Math.min(1, fixedSides[i]) + m.cbSide[s][i] * fixedSides[i] + halfBytes * fixedPace[i]));
            return;
        }
        double b = K * m.cbSide[s][i];
        double y = K * halfBytes * m.refPace;
        e.lower(0);
        if (b != 0) {
            e.add(up[i], -b).add(dn[i], -b);
        }
        if (y != 0) {
            e.add(pace[i], -y);
        }
        if (m.hxLat[s][i] != 0) {
            exchangeCost(e, g[i], -K * m.hxLat[s][i]);
        }
    }

    /**
     * Adds the fixed cost of a device's halo exchanges, {@code coefficient} once per stage for a device that has a
     * neighbour: {@code g} (it owns rows and so does another device), in the MILP and the relaxation alike.
     */
    private static void exchangeCost(Expression e, Variable g, double coefficient) {
        e.add(g, coefficient);
    }

    /**
     * Builds and solves the model. {@code fixed == null}: device selection free (binary when
     * {@code integer}, relaxed otherwise); else {@code fixed[i]} says whether device i owns rows (>= 1).
     * Returns null when infeasible.
     */
    private Lp solve(Objective obj, double deadline, boolean integer, boolean[] fixed) {
        final double MB = 1e-6;
        deadline = deadline * K;

        int ns = m.cp.length;
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        if (!integer) {
            // These LPs have a few hundred rows at most; the dense simplex solves them 1.5-4x faster.
            model.options.sparse = Boolean.FALSE;
        }
        if (integer) {
            // Gomory cuts cut off feasible points on some of these models (ojAlgo 56); plain branch and
            // bound is fast enough at reference sizes. A time cap keeps a pathological instance bounded.
            model.options.integer(IntegerStrategy.DEFAULT.withGMICutConfiguration(
                    new IntegerStrategy.GMICutConfiguration().withFractionality(1.0)));
            model.options.time_abort = EXACT_TIME_LIMIT_MS;
        }
        Variable[] a = new Variable[n];
        Variable[] z = new Variable[n];
        Variable[] g = new Variable[n];
        Variable[] up = new Variable[n];
        Variable[] dn = new Variable[n];
        Variable[] pace = new Variable[n];
        double[] zc = new double[n];
        double[] gc = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = model.addVariable("a" + i).lower(0).upper(h);
            if (integer) {
                a[i].integer(true);
            }
        }
        boolean energy = obj == Objective.ENERGY;
        boolean bounded = Double.isFinite(deadline);
        if (energy && !bounded) {
            throw new IllegalArgumentException("energy minimisation needs a finite deadline");
        }
        Variable split = null;
        if (fixed != null) {
            int k = countOf(fixed);
            for (int i = 0; i < n; i++) {
                if (fixed[i]) {
                    a[i].lower(1);
                    zc[i] = 1;
                    gc[i] = k >= 2 ? 1 : 0;
                } else {
                    a[i].upper(0);
                }
            }
        } else {
            split = model.addVariable("s").lower(0).upper(n >= 2 ? 1 : 0);
            if (integer) {
                split.integer(true);
            }
            Expression atMost = model.addExpression("split_hi").upper(1);
            Expression atLeast = model.addExpression("split_lo").lower(0);
            atMost.add(split, -(n - 1));
            atLeast.add(split, -2);
            for (int i = 0; i < n; i++) {
                z[i] = model.addVariable("z" + i).lower(0).upper(1);
                g[i] = model.addVariable("g" + i).lower(0).upper(1);
                if (integer) {
                    z[i].integer(true);
                }
                model.addExpression("own_hi" + i).upper(0).add(a[i], 1).add(z[i], -h);
                model.addExpression("own_lo" + i).lower(0).add(a[i], 1).add(z[i], -1);
                model.addExpression("halo" + i).lower(-1).add(g[i], 1).add(z[i], -1).add(split, -1);
                atMost.add(z[i], 1);
                atLeast.add(z[i], 1);
            }
            // up_i (dn_i): device i owns rows and so does a device before (after) it, so it exchanges halos
            // with a neighbour on that side; bands follow the device order. Only the MILP has them (see the
            // class doc: the fast path's LPs leave the halo-bound stage constraints out).
            for (int i = 0; integer && i < n; i++) {
                up[i] = model.addVariable("up" + i).lower(0).upper(1);
                dn[i] = model.addVariable("dn" + i).lower(0).upper(1);
                model.addExpression("g_up" + i).lower(0).add(g[i], 1).add(up[i], -1);
                model.addExpression("g_dn" + i).lower(0).add(g[i], 1).add(dn[i], -1);
            }
            for (int i = 0; integer && i < n; i++) {
                // p_i >= rho_i (up_i + dn_i): the device's own link carries its sides inbound
                pace[i] = model.addVariable("p" + i).lower(0).upper(1);
                model.addExpression("own_pace" + i).lower(0).add(pace[i], 1)
                        .add(up[i], -m.inv[i] / m.refPace).add(dn[i], -m.inv[i] / m.refPace);
            }
            for (int i = 0; integer && i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (j != i) {
                        Variable side = j < i ? up[i] : dn[i];
                        model.addExpression("side" + i + "_" + j).lower(-1).add(side, 1).add(z[i], -1).add(z[j], -1);
                        // j is i's neighbour when both own rows and no device between them does:
                        // nb = z_i + z_j - 1 - sum_{k between} z_k is then 1, else <= 0. j's link carries its
                        // side towards i and, when j has a neighbour beyond (up_j for j < i, dn_j for j > i),
                        // its other side: p_i >= rho_j nb + rho_j (nb + beyond_j - 1), exact for binary z.
                        Variable beyond = j < i ? up[j] : dn[j];
                        double rho = m.inv[j] / m.refPace;
                        Expression e = model.addExpression("pace" + i + "_" + j).lower(-3 * rho)
                                .add(pace[i], 1).add(z[i], -2 * rho).add(z[j], -2 * rho).add(beyond, -rho);
                        for (int k = Math.min(i, j) + 1; k < Math.max(i, j); k++) {
                            e.add(z[k], 2 * rho);
                        }
                    }
                }
            }
        }
        int[] fixedSides = new int[n];
        double[] fixedPace = new double[n];
        if (fixed != null) {
            double[] sel = new double[n];
            for (int i = 0; i < n; i++) {
                sel[i] = fixed[i] ? 1 : 0;
            }
            fixedSides = CostModel.sides(sel);
            fixedPace = m.sidePace(sel);
        }
        Expression rowsSum = model.addExpression("rows").level(h);
        for (int i = 0; i < n; i++) {
            rowsSum.add(a[i], 1);
        }
        Variable[] t = new Variable[ns];
        for (int s = 0; s < ns; s++) {
            t[s] = model.addVariable("T" + s).lower(0);
            for (int i = 0; i < n; i++) {
                if (fixed != null && !fixed[i]) {
                    continue;
                }
                // T_s >= c_si a_i + x_si g_i (halos hidden behind the interior rows; the exchanges' fixed
                // cost is the device's own time, see CostModel#stageSeconds)
                Expression st = model.addExpression("stage" + s + "_" + i).add(t[s], 1).add(a[i], -K * m.cp[s][i]);
                boolean exchanges = m.stageHaloBytes[s] > 0 && m.hxLat[s][i] != 0;
                if (fixed != null) {
                    st.lower(exchanges ? K * m.hxLat[s][i] * Math.min(1, fixedSides[i]) : 0);
                } else {
                    st.lower(0);
                    if (exchanges) {
                        exchangeCost(st, g[i], -K * m.hxLat[s][i]);
                    }
                }
                if (m.stageHaloBytes[s] <= 0 || (fixed != null && fixedSides[i] == 0) || !integer) {
                    continue;
                }
                // T_s >= c'_si a_i + x_si g_i + b_si (up_i + dn_i) + y_s p_i (the halo takes
                // longer than the interior); the MILP only, see the class doc
                Expression e = model.addExpression("late" + s + "_" + i);
                e.add(t[s], 1);
                if (m.cpLate[s][i] != 0) {
                    e.add(a[i], -K * m.cpLate[s][i]);
                }
                lateBound(e, s, i, m.halfHaloBytes[s], fixed, fixedSides, fixedPace, integer, g, up, dn, pace);
                if (m.queues[s]) {
                    // the halo queues behind earlier-sent ones (CostModel#stageSeconds)
                    Expression qe = model.addExpression("queue" + s + "_" + i).add(t[s], 1);
                    if (m.cpQueue[s][i] != 0) {
                        qe.add(a[i], -K * m.cpQueue[s][i]);
                    }
                    lateBound(qe, s, i, m.halfHaloBytes[s] + m.queuedHalfBytes[s], fixed, fixedSides, fixedPace,
                            integer, g, up, dn, pace);
                }
            }
        }
        // U >= r_i a_i + q_i z_i: scatters and gathers run at the same time, the slowest counts. A link with a
        // burst has four pieces (CostModel#scatterGatherPieces); their maximum is the convex scatter plus gather
        // time, and U, being minimised through L, settles on it. With energy, v_i is device i's own (epigraph).
        Variable u = model.addVariable("U").lower(0);
        Variable[] sgv = new Variable[n];
        for (int i = 0; i < n; i++) {
            if (i == init || (fixed != null && !fixed[i])) {
                continue;
            }
            double[][] pieces = m.scatterGatherPieces(i);
            if (energy && pieces.length > 1) {
                sgv[i] = model.addVariable("v" + i).lower(0);
            }
            for (int k = 0; k < pieces.length; k++) {
                for (Variable target : sgv[i] == null ? new Variable[] {u} : new Variable[] {u, sgv[i]}) {
                    Expression e = model.addExpression("sg" + i + "_" + k + target.getName()).add(target, 1);
                    if (pieces[k][0] != 0) {
                        e.add(a[i], -K * pieces[k][0]);
                    }
                    if (fixed != null) {
                        e.lower(K * pieces[k][1] * zc[i]);
                    } else {
                        e.lower(0).add(z[i], -K * pieces[k][1]);
                    }
                }
            }
        }
        // L = Lvar + lConst
        double lConst = K * m.tail;
        Map<Variable, Double> lVar = new HashMap<>();
        for (int s = 0; s < ns; s++) {
            lVar.put(t[s], 1.0);
        }
        lVar.put(u, 1.0);
        // X >= w_0 (sum of z_i over the workers - 1), X >= 0: the initiator's cost of the workers beyond the first
        Variable coordination = null;
        if (m.extraWorker > 0) {
            if (fixed != null) {
                int workers = 0;
                for (int i = 0; i < n; i++) {
                    workers += fixed[i] && i != init ? 1 : 0;
                }
                lConst += K * m.extraWorkerSeconds(workers);
            } else {
                coordination = model.addVariable("X").lower(0);
                Expression e = model.addExpression("coordination").lower(-K * m.extraWorker).add(coordination, 1);
                for (int i = 0; i < n; i++) {
                    if (i != init) {
                        e.add(z[i], -K * m.extraWorker);
                    }
                }
                lVar.put(coordination, 1.0);
            }
        }
        if (bounded) {
            Expression dl = model.addExpression("deadline").upper(deadline - lConst);
            lVar.forEach(dl::add);
        }
        for (int i = 0; i < n; i++) {
            if (fixed != null && !fixed[i]) {
                continue;
            }
            double cap = MB * m.memBudget[i];
            Expression mem = model.addExpression("memory" + i);
            mem.add(a[i], MB * m.memRow[i]);
            if (fixed != null) {
                mem.upper(cap - MB * m.memFixedWhenRows[i] * zc[i] - MB * m.memHalo[i] * gc[i]);
            } else {
                mem.add(z[i], MB * m.memFixedWhenRows[i]).add(g[i], MB * m.memHalo[i]).upper(cap);
            }
        }
        Map<Variable, Double> w = new HashMap<>();
        if (!energy) {
            lVar.forEach((v, c) -> w.merge(v, c, Double::sum));
        } else {
            lVar.forEach((v, c) -> w.merge(v, c * m.idleW[init], Double::sum));
            for (int i = 0; i < n; i++) {
                if (i == init) {
                    continue;
                }
                if (fixed != null) {
                    if (fixed[i]) {
                        double pi = m.idleW[i];
                        lVar.forEach((v, c) -> w.merge(v, c * pi, Double::sum));
                    }
                } else {
                    // w_i >= L - D (1 - z_i)
                    Variable wi = model.addVariable("w" + i).lower(0);
                    Expression e = model.addExpression("idle" + i).lower(lConst - deadline);
                    e.add(wi, 1);
                    lVar.forEach((v, c) -> e.add(v, -c));
                    e.add(z[i], -deadline);
                    w.merge(wi, m.idleW[i], Double::sum);
                }
            }
            if (coordination != null) {
                w.merge(coordination, m.dcpW[init], Double::sum); // the initiator is busy with it
            }
            for (int i = 0; i < n; i++) {
                double cpSum = 0, latSum = 0, sideSum = 0;
                for (int s = 0; s < ns; s++) {
                    cpSum += K * m.cp[s][i];
                    latSum += K * m.hxLat[s][i];
                    sideSum += K * m.hxSideRef[s];
                }
                w.merge(a[i], m.dcpW[i] * cpSum, Double::sum);
                if (fixed == null && latSum != 0) {
                    w.merge(g[i], m.dtxW[i] * latSum, Double::sum);
                }
                if (fixed == null && integer && sideSum != 0) {
                    w.merge(pace[i], m.dtxW[i] * sideSum, Double::sum);
                }
                if (i != init && sgv[i] != null) {
                    w.merge(sgv[i], m.dtxW[i] + m.dtxW[init], Double::sum);
                } else if (i != init) {
                    double p = m.dtxW[i] + m.dtxW[init];
                    w.merge(a[i], p * K * m.sgRow[i], Double::sum);
                    if (fixed == null) {
                        w.merge(z[i], p * K * m.sgLat[i], Double::sum);
                    }
                }
            }
        }
        w.forEach((v, c) -> {
            if (c != 0) {
                v.weight(c);
            }
        });
        Optimisation.Result r = integer ? minimiseWithDeepStack(model) : model.minimise();
        if (r == null) {
            return null;
        }
        if (!r.getState().isFeasible()) {
            return null;
        }
        double[] av = new double[n];
        for (int i = 0; i < n; i++) {
            av[i] = Math.max(0, r.doubleValue(model.indexOf(a[i])));
        }
        return new Lp(av, r.getValue());
    }
}
