# Turns the results that compare.sh collects into Markdown tables. Each input line is
# "round=R case=NAME broker=B key=value ...", the driver's RESULT fields after the first three.
# Figures are averaged over the rounds, ignoring "na" (not measured); lost, duplicated and reordered
# counts are summed, and so are the SYN retransmissions and listen overflows of the idle runs.
# The idle table ends with the Petrel / Mosquitto ratios and each round's RSS per connection.

function mean(key) {
  return (key in count && count[key] > 0) ? sum[key] / count[key] : "";
}

function fmt(value, decimals) {
  if (value == "") {
    return "n/a";
  }
  return sprintf("%." decimals "f", value);
}

function summed(key) {
  return (key in count && count[key] > 0) ? total[key] : "n/a";
}

function ratio(petrel, mosquitto) {
  if (petrel == "" || mosquitto == "" || mosquitto <= 0) {
    return "n/a";
  }
  return sprintf("%.2f", petrel / mosquitto);
}

# Returns the Petrel / Mosquitto ratio of the mean of figure "key" in case "name".
function ratio_of(name, key) {
  return ratio(mean(name SUBSEP "petrel" SUBSEP key), mean(name SUBSEP "mosquitto" SUBSEP key));
}

{
  delete field;
  for (i = 1; i <= NF; i++) {
    split($i, pair, "=");
    field[pair[1]] = substr($i, length(pair[1]) + 2);
  }
  name = field["case"];
  broker = field["broker"];
  if (!(name in seen)) {
    seen[name] = 1;
    order[++cases] = name;
  }
  id = name SUBSEP broker;
  if (!(id in outcome)) {
    outcome[id] = field["outcome"];
  } else if (index(outcome[id], field["outcome"]) == 0) {
    outcome[id] = outcome[id] "," field["outcome"];
  }
  if (name == "idle" && "broker_rss_bytes_per_conn" in field) {
    if (id in rounds) {
      rounds[id] = rounds[id] ", " field["broker_rss_bytes_per_conn"];
    } else {
      rounds[id] = field["broker_rss_bytes_per_conn"];
    }
  }
  for (key in field) {
    if (key ~ /^(round|case|broker|label|scenario|outcome)$/ || field[key] == "na" || field[key] !~ /^-?[0-9.]+$/) {
      continue;
    }
    if (key ~ /^(lost|duplicated|reordered|unexpected|unacked|failed|syn_retransmits|listen_overflows)$/) {
      total[id SUBSEP key] += field[key];
    }
    sum[id SUBSEP key] += field[key];
    count[id SUBSEP key]++;
  }
}

END {
  print "| case | throughput | broker CPU per delivery | p99 latency | p99.9 latency |";
  print "| --- | ---: | ---: | ---: | ---: |";
  for (c = 1; c <= cases; c++) {
    name = order[c];
    if (name == "idle") {
      continue;
    }
    printf "| %s | %s | %s | %s | %s |\n", name, ratio_of(name, "throughput_per_s"),
        ratio_of(name, "broker_cpu_us_per_msg"), ratio_of(name, "p99_us"), ratio_of(name, "p999_us");
  }
  print "";
  print "Raw figures (deliveries per second, broker CPU microseconds per delivery, latency in microseconds; lost, duplicated and reordered summed over all rounds and phases):";
  print "";
  print "| case | broker | deliveries/s | CPU us/delivery | p50 | p99 | p99.9 | max | lost | duplicated | reordered | outcome |";
  print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |";
  for (c = 1; c <= cases; c++) {
    name = order[c];
    if (name == "idle") {
      continue;
    }
    for (b = 1; b <= 2; b++) {
      broker = b == 1 ? "petrel" : "mosquitto";
      id = name SUBSEP broker;
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %s |\n", name, broker,
          fmt(mean(id SUBSEP "throughput_per_s"), 0), fmt(mean(id SUBSEP "broker_cpu_us_per_msg"), 2),
          fmt(mean(id SUBSEP "p50_us"), 0), fmt(mean(id SUBSEP "p99_us"), 0), fmt(mean(id SUBSEP "p999_us"), 0),
          fmt(mean(id SUBSEP "max_us"), 0), total[id SUBSEP "lost"], total[id SUBSEP "duplicated"],
          total[id SUBSEP "reordered"], outcome[id];
    }
  }
  if (("idle" SUBSEP "petrel") in outcome || ("idle" SUBSEP "mosquitto") in outcome) {
    print "";
    print "Idle connections (fresh broker each round; RSS growth divided by the accepted connections):";
    print "";
    print "The second-half figure is the RSS growth while the second half of the connections opened and were held, divided by that half, which leaves out what the broker spends once but not the steps in which a JVM heap grows.";
    print "SYNs retransmitted and listen-queue overflows are the kernel's counters for the whole host while the connections opened, summed over the rounds. A retransmitted SYN waits at least a second, which lowers that broker's connections per second.";
    print "In the ratio row, below 1 is better for RSS and CPU, above 1 for connections per second.";
    print "";
    print "| broker | requested | accepted | open after hold | RSS per connection (bytes) | RSS per connection, second half (bytes) | connections/s | CPU us per connect | SYNs retransmitted | listen overflows | outcome |";
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |";
    for (b = 1; b <= 2; b++) {
      broker = b == 1 ? "petrel" : "mosquitto";
      id = "idle" SUBSEP broker;
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", broker,
          fmt(mean(id SUBSEP "connections"), 0), fmt(mean(id SUBSEP "accepted"), 0),
          fmt(mean(id SUBSEP "open_after_hold"), 0), fmt(mean(id SUBSEP "broker_rss_bytes_per_conn"), 0),
          fmt(mean(id SUBSEP "broker_rss_bytes_per_conn_second_half"), 0),
          fmt(mean(id SUBSEP "connect_rate_per_s"), 0), fmt(mean(id SUBSEP "broker_cpu_us_per_conn"), 1),
          summed(id SUBSEP "syn_retransmits"), summed(id SUBSEP "listen_overflows"), outcome[id];
    }
    # A ratio needs a positive Mosquitto figure: an RSS that shrank while the connections opened
    # gives "n/a".
    printf "| petrel / mosquitto | | | | %s | %s | %s | %s | | | |\n",
        ratio_of("idle", "broker_rss_bytes_per_conn"), ratio_of("idle", "broker_rss_bytes_per_conn_second_half"),
        ratio_of("idle", "connect_rate_per_s"), ratio_of("idle", "broker_cpu_us_per_conn");
    print "";
    print "RSS per connection by round (bytes):";
    print "";
    printf "- petrel: %s\n", (("idle" SUBSEP "petrel") in rounds) ? rounds["idle" SUBSEP "petrel"] : "n/a";
    printf "- mosquitto: %s\n", (("idle" SUBSEP "mosquitto") in rounds) ? rounds["idle" SUBSEP "mosquitto"] : "n/a";
  }
}
