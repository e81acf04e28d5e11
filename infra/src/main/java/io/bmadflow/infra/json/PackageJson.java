package io.bmadflow.infra.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * The JSON dialect of checkpoint packages: snake_case field names, sorted keys, pretty printed,
 * and strict on read (unknown fields, missing primitives, duplicate keys and trailing tokens are
 * errors; no polymorphic typing anywhere).
 *
 * <p>A document of a newer minor package format may carry fields this version does not know:
 * {@link #read(JsonNode, Class, boolean)} binds it tolerating them, and only then.
 */
public final class PackageJson {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .addModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .build();
  private static final ObjectReader TREE_READER = MAPPER.reader()
      .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

  /** Serializes a value; the bytes are stable for equal values. */
  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  /**
   * Parses a document strictly.
   *
   * @throws IOException naming the field at fault when the document does not match the type
   */
  public static <T> T read(byte[] json, Class<T> type) throws IOException {
    return MAPPER.readValue(json, type);
  }

  /**
   * Parses a document into a tree, strictly (duplicate keys and trailing tokens are errors), with
   * floating-point numbers kept exactly as {@link java.math.BigDecimal} (trailing zeros too), so a
   * digest over the tree sees every digit the document holds.
   *
   * @throws IOException when the bytes are not one JSON document
   */
  public static JsonNode readTree(byte[] json) throws IOException {
    try {
      return TREE_READER.readTree(json);
    } catch (NumberFormatException | ArithmeticException e) {
      // An exponent past int's range is refused by BigDecimal with an unchecked exception.
      throw new IOException("a number is out of every range this reader takes: " + e.getMessage(), e);
    }
  }

  /**
   * Binds a tree to a type: strictly, or tolerating unknown fields (for a document of a newer
   * minor format); missing primitives are errors either way.
   *
   * @throws IOException naming the field at fault when the tree does not match the type
   */
  public static <T> T read(JsonNode tree, Class<T> type, boolean tolerateUnknownFields) throws IOException {
    ObjectReader reader = MAPPER.readerFor(type);
    if (tolerateUnknownFields) {
      reader = reader.without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }
    return reader.readValue(tree);
  }

  /** The mapper, for callers that need trees. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  private PackageJson() {}
}
