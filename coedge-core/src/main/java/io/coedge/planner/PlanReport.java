package io.coedge.planner;

import io.coedge.graph.Graph;
import java.util.List;
import java.util.Locale;

/**
 * What {@code coedge plan} shows: every strategy's rows per device, predicted latency and energy, side by
 * side, as text, as one JSON document, or as an SVG picture.
 *
 * <p>Typical use:
 * <pre>
 * DeviceProfiles.Cluster cluster = DeviceProfiles.resolve("rpi4b,jetson-nano,rpi3b+");
 * PlanReport report = PlanReport.of(graph, cluster, 0.250, Planner.Objective.ENERGY);
 * System.out.print(json ? report.toJson() : report.toText());
 * Files.writeString(Path.of("plan.svg"), report.toSvg());
 * </pre>
 *
 * @param model      model name
 * @param deadlineMs the deadline in milliseconds
 * @param objective  what the coedge strategy minimised
 * @param devices    device names in cluster order
 * @param strategies coedge, local, equal, proportional, latency (in that order)
 * @param costModel  the model the predictions come from (per-stage detail for the picture)
 */
public record PlanReport(String model, double deadlineMs, Planner.Objective objective, List<String> devices,
                         List<PlanResult> strategies, CostModel costModel) {
    public PlanReport {
        devices = List.copyOf(devices);
        strategies = List.copyOf(strategies);
    }

    /** Plans every strategy for {@code table} on {@code cluster} with the deadline in seconds. */
    public static PlanReport of(LayerCostTable table, DeviceProfiles.Cluster cluster, double deadlineSeconds,
                                Planner.Objective objective) {
        return of(new CostModel(table, cluster), deadlineSeconds, objective);
    }

    /**
     * Plans every strategy for {@code graph} on {@code cluster}: as {@link #of(LayerCostTable, DeviceProfiles.Cluster,
     * double, Planner.Objective)}, with each plan's own halo bytes ({@link CostModel#CostModel(Graph, DeviceProfiles.Cluster)}).
     */
    public static PlanReport of(Graph graph, DeviceProfiles.Cluster cluster, double deadlineSeconds,
                                Planner.Objective objective) {
        return of(new CostModel(graph, cluster), deadlineSeconds, objective);
    }

    private static PlanReport of(CostModel m, double deadlineSeconds, Planner.Objective objective) {
        return new PlanReport(m.table().model(), deadlineSeconds * 1e3, objective, m.deviceNames(),
                Baselines.all(m, deadlineSeconds, objective), m);
    }

    /** The plan of one strategy by name. */
    public PlanResult strategy(String name) {
        for (PlanResult r : strategies) {
            if (r.strategy().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("no strategy '" + name + "'; have " + Baselines.NAMES);
    }

    /**
     * {@code {"model":..., "deadlineMs":..., "strategies":[{"name":..., "feasible":true, "latencyMs":...,
     * "energyJ":..., "rows":{"<device>":N,...}}, ...]}} on one line.
     */
    public String toJson() {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"model\":").append(jsonString(model)).append(",\"deadlineMs\":").append(num(deadlineMs))
                .append(",\"strategies\":[");
        for (int s = 0; s < strategies.size(); s++) {
            PlanResult r = strategies.get(s);
            sb.append(s == 0 ? "" : ",").append("{\"name\":").append(jsonString(r.strategy()))
                    .append(",\"feasible\":").append(r.feasible())
                    .append(",\"latencyMs\":").append(num(r.latencySeconds() * 1e3))
                    .append(",\"energyJ\":").append(num(r.energyJoules()))
                    .append(",\"rows\":{");
            int[] rows = r.rows();
            for (int i = 0; i < rows.length; i++) {
                sb.append(i == 0 ? "" : ",").append(jsonString(devices.get(i))).append(':').append(rows[i]);
            }
            sb.append("}}");
        }
        return sb.append("]}").toString();
    }

    /** A table: one row per strategy, one column per device, then latency, energy and feasibility. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "model %s, deadline %s ms, objective %s, %d devices (initiator %s)%n",
                model, num(deadlineMs), objective.name().toLowerCase(Locale.ROOT), devices.size(),
                costModel.cluster().initiator()));
        int w = 6;
        for (String d : devices) {
            w = Math.max(w, d.length());
        }
        sb.append(String.format(Locale.ROOT, "%-13s", "strategy"));
        for (String d : devices) {
            sb.append(String.format(Locale.ROOT, " %" + w + "s", d));
        }
        sb.append(String.format(Locale.ROOT, " %12s %10s  %s%n", "latency ms", "energy J", "feasible"));
        for (PlanResult r : strategies) {
            sb.append(String.format(Locale.ROOT, "%-13s", r.strategy()));
            for (int v : r.rows()) {
                sb.append(String.format(Locale.ROOT, " %" + w + "d", v));
            }
            sb.append(String.format(Locale.ROOT, " %12.1f %10.3f  %s%s%n", r.latencySeconds() * 1e3, r.energyJoules(),
                    r.feasible() ? "yes" : "no", r.note().isEmpty() || r.feasible() ? "" : " (" + r.note() + ")"));
        }
        PlanResult c = strategies.get(0);
        for (PlanResult r : strategies.subList(1, strategies.size())) {
            if (r.feasible() && c.feasible()) {
                sb.append(String.format(Locale.ROOT, "coedge vs %-12s energy %+.1f%%, latency %+.1f%%%n", r.strategy(),
                        100 * (c.energyJoules() / r.energyJoules() - 1), 100 * (c.latencySeconds() / r.latencySeconds() - 1)));
            }
        }
        return sb.toString();
    }

    private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
        "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

    /**
     * An SVG picture: left, the coedge plan's row bands through the stages (each device a colour, band
     * heights in proportion to its rows, shaded by busy time); right, bars of predicted energy and latency
     * per strategy, with the deadline as a line.
     */
    public String toSvg() {
        int width = 960, height = 520;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(text(20, 24, 16, "CoEdge plan: " + model + ", deadline " + num(deadlineMs) + " ms, objective "
                + objective.name().toLowerCase(Locale.ROOT)));
        // partition across stages
        PlanResult c = strategies.get(0);
        Prediction p = c.prediction();
        int x0 = 20, y0 = 50, pw = 440, ph = 400;
        int stages = Math.max(1, p.stageSeconds().length);
        double colW = (double) pw / stages;
        int total = 0;
        for (int v : c.rows()) {
            total += v;
        }
        sb.append(text(x0, y0 - 8, 13, "rows per device across the " + stages + " stages (shade: busy share of the stage)"));
        for (int s = 0; s < stages; s++) {
            double y = y0;
            for (int i = 0; i < devices.size(); i++) {
                int rows = c.rows()[i];
                if (rows == 0) {
                    continue;
                }
                double hgt = (double) ph * rows / Math.max(1, total);
                double busy = p.stageSeconds().length == 0 || p.stageSeconds()[s] <= 0 ? 1
                        : (p.computeSeconds()[s][i] + p.transferSeconds()[s][i]) / p.stageSeconds()[s];
                sb.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"white\"><title>%s: %d rows, stage %s, busy %.0f%%</title></rect>%n",
                        x0 + s * colW, y, colW, hgt, COLOURS[i % COLOURS.length], 0.25 + 0.75 * Math.min(1, busy),
                        escape(devices.get(i)), rows, escape(costModel.stageNames().get(Math.min(s, costModel.stageCount() - 1))),
                        100 * busy));
                y += hgt;
            }
        }
        for (int i = 0; i < devices.size(); i++) {
            int ly = y0 + ph + 20 + (i / 4) * 16;
            int lx = x0 + (i % 4) * 110;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>%n", lx,
                    ly - 9, COLOURS[i % COLOURS.length]));
            sb.append(text(lx + 14, ly, 11, devices.get(i) + " (" + c.rows()[i] + ")"));
        }
        // bars
        int bx = 500, bw = 440;
        double maxE = 0, maxL = deadlineMs;
        for (PlanResult r : strategies) {
            maxE = Math.max(maxE, r.energyJoules());
            maxL = Math.max(maxL, r.latencySeconds() * 1e3);
        }
        sb.append(bars(bx, 60, bw, 170, "energy (J)", maxE, Double.NaN, true));
        sb.append(bars(bx, 290, bw, 170, "latency (ms)", maxL, deadlineMs, false));
        sb.append("</svg>\n");
        return sb.toString();
    }

    private String bars(int x, int y, int w, int h, String title, double max, double line, boolean energy) {
        StringBuilder sb = new StringBuilder();
        sb.append(text(x, y - 8, 13, title));
        int n = strategies.size();
        double slot = (double) w / n;
        for (int k = 0; k < n; k++) {
            PlanResult r = strategies.get(k);
            double v = energy ? r.energyJoules() : r.latencySeconds() * 1e3;
            double bh = max > 0 ? h * v / max : 0;
            sb.append(String.format(Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s: %s</title></rect>%n",
                    x + k * slot + slot * 0.15, y + h - bh, slot * 0.7, bh, r.feasible() ? "#4e79a7" : "#bab0ac",
                    escape(r.strategy()), num(v)));
            sb.append(text(x + k * slot + slot * 0.15, y + h + 14, 11, r.strategy()));
            sb.append(text(x + k * slot + slot * 0.15, y + h - bh - 3, 10, num(Math.round(v * 100) / 100.0)));
        }
        if (Double.isFinite(line) && max > 0) {
            double ly = y + h - h * line / max;
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e15759\" stroke-dasharray=\"4 3\"/>%n", x, ly,
                    x + w, ly));
            sb.append(text(x + w - 60, ly - 3, 10, "deadline"));
        }
        return sb.toString();
    }

    private static String text(double x, double y, int size, String s) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\">%s</text>%n", x, y, size, escape(s));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static String num(double v) {
        if (!Double.isFinite(v)) {
            return "null";
        }
        if (Math.abs(v) < 1e-12) {
            return "0";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = String.format(Locale.ROOT, "%.6g", v);
        if (s.contains("e")) {
            return s;
        }
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
