# benchtable.awk turns `go test -bench BenchmarkAccessDocument -count N` output
# into the README's markdown table: median ns/op over the N runs and the state
# reads per call (one number when every run agrees, else all of them).
BEGIN {
	print "| grants (other patients) | documents (same patient) | ns/op (median) | state reads/op |"
	print "|---:|---:|---:|---:|"
}
/^BenchmarkAccessDocument\// {
	split($1, p, "/")
	sub(/^grants=/, "", p[2]); sub(/^docs=/, "", p[3]); sub(/-[0-9]+$/, "", p[3])
	k = p[2] "|" p[3]
	if (!(k in n)) order[++m] = k
	ns[k, ++n[k]] = $3
	for (i = 4; i < NF; i++) if ($(i + 1) == "reads/op") reads[k] = reads[k] " " ($i + 0)
}
/^(FAIL|ok|---|panic)/ { tail = tail $0 "\n" }
END {
	for (i = 1; i <= m; i++) {
		k = order[i]; c = n[k]
		for (a = 1; a <= c; a++) v[a] = ns[k, a]
		for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
		split(k, kk, "|")
		cnt = split(reads[k], r, " "); same = 1
		for (a = 2; a <= cnt; a++) if (r[a] != r[1]) same = 0
		printf "| %s | %s | %d | %s |\n", kk[1], kk[2], v[int((c + 1) / 2)], (same ? r[1] : reads[k])
	}
	printf "%s", tail
}
