"""The rules of every SONS dispositif as versioned, dated, sourced data, with an evaluator."""
