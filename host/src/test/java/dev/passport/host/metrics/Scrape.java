package dev.passport.host.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** A Prometheus text-format scrape fetched over HTTP, parsed into samples for assertions. */
public final class Scrape {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** One sample line: a name, its labels and its value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final String text;
  private final List<Sample> samples;

  private Scrape(String text, List<Sample> samples) {
    this.text = text;
    this.samples = samples;
  }

  /** GET {@code path} on a loopback endpoint; the status code and body. */
  public static HttpResponse<String> get(InetSocketAddress address, String path)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + address.getPort() + path))
        .timeout(Duration.ofSeconds(10))
        .GET()
        .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Scrapes {@code /metrics}, asserting status 200 and the Prometheus text content type. */
  public static Scrape of(InetSocketAddress address) throws IOException, InterruptedException {
    HttpResponse<String> response = get(address, "/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
    return parse(response.body());
  }

  static Scrape parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      double value = sampleValue(line.substring(space + 1));
      int brace = series.indexOf('{');
      if (brace < 0) {
        samples.add(new Sample(series, Map.of(), value));
      } else {
        samples.add(new Sample(series.substring(0, brace),
            labels(series.substring(brace + 1, series.length() - 1)), value));
      }
    }
    return new Scrape(text, samples);
  }

  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    int at = 0;
    while (at < text.length()) {
      int equals = text.indexOf('=', at);
      int end = text.indexOf('"', equals + 2);
      while (text.charAt(end - 1) == '\\') {
        end = text.indexOf('"', end + 1);
      }
      labels.put(text.substring(at, equals), text.substring(equals + 2, end));
      at = end + 2;
    }
    return labels;
  }

  /** The value of the one sample named {@code name} whose labels include {@code labels}. */
  public OptionalDouble value(String name, Map<String, String> labels) {
    List<Sample> matching = samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .toList();
    assertThat(matching).as("samples %s%s", name, labels).hasSizeLessThanOrEqualTo(1);
    return matching.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(matching.get(0).value());
  }

  /** Every sample named {@code name}. */
  public List<Sample> samples(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** The raw text, to prove something is absent. */
  public String text() {
    return text;
  }

  /** The text format writes infinities as {@code +Inf}/{@code -Inf}, which Java does not parse. */
  private static double sampleValue(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }
}
