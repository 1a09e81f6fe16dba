/// Prediction-versus-observation diffs and before/after comparisons.
public enum TraceComparison {}
