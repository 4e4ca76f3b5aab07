// The site's templates parsed once; see templates.h. The parsing follows mstch 1.0.2
// (template_type.cpp, token.cpp): text is cut into lines, a line holding only section, partial or
// comment tags and white space loses that white space and its line break, and a template ending in
// a tag gets an empty last line. Rendering follows render_context.cpp and its visitors: names are
// looked up from the innermost pushed node outwards, "." is the innermost node that is not a map.
#include "templates.h"

#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

namespace madoguchi::portal::detail {

void html_escape(std::string_view text, std::string& out) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view entity;
    switch (text[i]) {
      case '&': entity = "&amp;"; break;
      case '\'': entity = "&#39;"; break;
      case '"': entity = "&quot;"; break;
      case '<': entity = "&lt;"; break;
      case '>': entity = "&gt;"; break;
      case '/': entity = "&#x2F;"; break;
      default: continue;
    }
    out.append(text.substr(start, i - start));
    out.append(entity);
    start = i + 1;
  }
  out.append(text.substr(start));
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  html_escape(text, out);
  return out;
}

struct CompiledTemplates::Node {
  enum class Kind { text, variable, section, inverted, partial };
  Kind kind = Kind::text;
  std::string text;  // the text, or the name looked up / the partial's name
  std::vector<Node> children;
};

struct CompiledTemplates::Template {
  std::vector<Node> nodes;
};

namespace {

using Node = CompiledTemplates::Node;

struct Token {
  enum class Kind { text, variable, section_open, inverted_open, section_close, partial, comment };
  Kind kind = Kind::text;
  std::string raw;   // text tokens: the text
  std::string name;  // tags: the name, spaces trimmed
  bool eol = false;
  bool ws_only = false;
};

[[noreturn]] void refuse(std::string_view template_name, std::string_view what) {
  throw std::invalid_argument("template " + std::string(template_name) + ": " + std::string(what));
}

void add_text(std::vector<Token>& tokens, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || i + 1 == text.size()) {
      Token t;
      t.raw = std::string(text.substr(start, i + 1 - start));
      t.eol = t.raw.back() == '\n';
      t.ws_only = t.raw.find_first_not_of(" \n\t") == std::string::npos;
      tokens.push_back(std::move(t));
      start = i + 1;
    }
  }
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Token tag_token(std::string_view name_of_template, std::string_view inner) {
  Token t;
  std::string_view s = trim_spaces(inner);
  if (s.empty()) refuse(name_of_template, "empty tag");
  switch (s.front()) {
    case '#': t.kind = Token::Kind::section_open; break;
    case '^': t.kind = Token::Kind::inverted_open; break;
    case '/': t.kind = Token::Kind::section_close; break;
    case '>': t.kind = Token::Kind::partial; break;
    case '!': t.kind = Token::Kind::comment; break;
    case '&':
    case '{': refuse(name_of_template, "unescaped output ({{{x}}} or {{&x}})");
    case '=': refuse(name_of_template, "delimiter change");
    default: t.kind = Token::Kind::variable; break;
  }
  if (t.kind != Token::Kind::variable) s = trim_spaces(s.substr(1));
  t.name = std::string(s);
  if (t.name.empty() && t.kind != Token::Kind::comment) refuse(name_of_template, "tag without a name");
  return t;
}

std::vector<Token> tokenize(std::string_view name, std::string_view tmp) {
  std::vector<Token> tokens;
  std::size_t cur = 0;
  while (cur < tmp.size()) {
    const auto open = tmp.find("{{", cur);
    const auto close = open == std::string_view::npos ? std::string_view::npos : tmp.find("}}", open + 1);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      add_text(tokens, tmp.substr(cur));
      break;
    }
    if (open + 2 < tmp.size() && tmp[open + 2] == '{') refuse(name, "unescaped output ({{{x}}} or {{&x}})");
    add_text(tokens, tmp.substr(cur, open - cur));
    tokens.push_back(tag_token(name, tmp.substr(open + 2, close - open - 2)));
    cur = close + 2;
    if (cur == tmp.size()) {
      Token end;
      end.eol = true;
      end.ws_only = true;
      tokens.push_back(std::move(end));
    }
  }
  return tokens;
}

// mstch's strip_whitespace: a line (tokens up to one whose text ends the line) with a section,
// partial or comment tag and otherwise only white space loses its white-space tokens.
void strip_standalone_lines(std::string_view name, std::vector<Token>& tokens) {
  std::vector<Token> kept;
  kept.reserve(tokens.size());
  std::size_t line_begin = 0;
  bool has_tag = false, non_space = false;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto kind = tokens[i].kind;
    if (kind != Token::Kind::text && kind != Token::Kind::variable) {
      has_tag = true;
    } else if (!tokens[i].ws_only) {
      non_space = true;
    }
    if (!tokens[i].eol) continue;
    const bool standalone = has_tag && !non_space;
    for (std::size_t c = line_begin; c <= i; ++c) {
      if (standalone && tokens[c].kind == Token::Kind::partial && c != line_begin && tokens[c - 1].ws_only) {
        refuse(name, "indented standalone partial");
      }
      if (standalone && tokens[c].ws_only) continue;
      kept.push_back(std::move(tokens[c]));
    }
    has_tag = non_space = false;
    line_begin = i + 1;
  }
  // The last line without a line break is never standalone.
  for (std::size_t c = line_begin; c < tokens.size(); ++c) kept.push_back(std::move(tokens[c]));
  tokens = std::move(kept);
}

std::vector<Node> build(std::string_view name, std::vector<Token>& tokens) {
  std::vector<Node> root;
  std::vector<std::vector<Node>*> open{&root};
  std::vector<std::string> open_names;
  auto add = [&](Node n) {
    auto& into = *open.back();
    if (n.kind == Node::Kind::text && !into.empty() && into.back().kind == Node::Kind::text) {
      into.back().text += n.text;
    } else {
      into.push_back(std::move(n));
    }
  };
  for (auto& t : tokens) {
    switch (t.kind) {
      case Token::Kind::text:
        if (!t.raw.empty()) add(Node{Node::Kind::text, std::move(t.raw), {}});
        break;
      case Token::Kind::variable: add(Node{Node::Kind::variable, std::move(t.name), {}}); break;
      case Token::Kind::partial: add(Node{Node::Kind::partial, std::move(t.name), {}}); break;
      case Token::Kind::comment: break;
      case Token::Kind::section_open:
      case Token::Kind::inverted_open: {
        auto& into = *open.back();
        into.push_back(Node{t.kind == Token::Kind::section_open ? Node::Kind::section : Node::Kind::inverted, t.name, {}});
        open.push_back(&into.back().children);
        open_names.push_back(std::move(t.name));
        break;
      }
      case Token::Kind::section_close:
        if (open_names.empty() || open_names.back() != t.name) refuse(name, "unbalanced section " + t.name);
        open.pop_back();
        open_names.pop_back();
        break;
    }
  }
  if (!open_names.empty()) refuse(name, "unclosed section " + open_names.back());
  return root;
}

const mstch::node kNull{};

bool has_token(const std::string& token, const mstch::node& node) {
  if (const auto* m = boost::get<mstch::map>(&node)) return m->count(token) == 1;
  if (const auto* o = boost::get<std::shared_ptr<mstch::object>>(&node)) return (*o)->has(token);
  return token == ".";
}

const mstch::node& get_token(const std::string& token, const mstch::node& node) {
  if (const auto* m = boost::get<mstch::map>(&node)) return m->at(token);
  if (const auto* o = boost::get<std::shared_ptr<mstch::object>>(&node)) return (*o)->at(token);
  return node;
}

bool is_empty(const mstch::node& node) {
  switch (node.which()) {
    case 0: return true;                                       // nullptr
    case 1: return boost::get<std::string>(node).empty();      // string
    case 2: return boost::get<int>(node) == 0;                 // int
    case 3: return boost::get<double>(node) == 0;              // double
    case 4: return !boost::get<bool>(node);                    // bool
    case 8: return boost::get<mstch::array>(node).empty();     // array
    default: return false;                                     // lambda, object, map
  }
}

class Renderer {
 public:
  Renderer(const std::map<std::string, std::unique_ptr<CompiledTemplates::Template>, std::less<>>& templates,
           std::string_view content, std::string& out)
      : templates_(templates), content_(content), out_(out) {}

  void push(const mstch::node& n) { stack_.push_back(&n); }
  void pop() { stack_.pop_back(); }

  void render(const std::vector<Node>& nodes) {
    for (const auto& n : nodes) {
      switch (n.kind) {
        case Node::Kind::text: out_ += n.text; break;
        case Node::Kind::variable: variable(find(n.text)); break;
        case Node::Kind::partial: partial(n.text); break;
        case Node::Kind::section: section(n); break;
        case Node::Kind::inverted:
          if (is_empty(find(n.text))) {
            push(kNull);
            render(n.children);
            pop();
          }
          break;
      }
    }
  }

 private:
  const mstch::node& find(const std::string& token) const {
    if (token != "." && token.find('.') != std::string::npos) {
      const auto dot = token.rfind('.');
      const mstch::node& outer = find(token.substr(0, dot));
      const std::string last = token.substr(dot + 1);
      return has_token(last, outer) ? get_token(last, outer) : kNull;
    }
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if (has_token(token, **it)) return get_token(token, **it);
    }
    return kNull;
  }

  void variable(const mstch::node& node) {
    switch (node.which()) {
      case 1: html_escape(boost::get<std::string>(node), out_); break;
      case 2: out_ += std::to_string(boost::get<int>(node)); break;
      case 3: {
        std::ostringstream s;
        s << boost::get<double>(node);
        out_ += s.str();
        break;
      }
      case 4: out_ += boost::get<bool>(node) ? "true" : "false"; break;
      case 5: throw std::invalid_argument("templates: lambdas are not supported");
      default: break;  // null, object, map, array: nothing
    }
  }

  void section(const Node& n) {
    const mstch::node& node = find(n.text);
    if (is_empty(node)) return;
    if (boost::get<mstch::lambda>(&node)) {
      throw std::invalid_argument("templates: lambdas are not supported");
    }
    if (const auto* a = boost::get<mstch::array>(&node)) {
      for (const auto& item : *a) {
        push(item);
        render(n.children);
        pop();
      }
      return;
    }
    push(node);
    render(n.children);
    pop();
  }

  void partial(const std::string& name) {
    const std::string_view target = name == "content" && !content_.empty() ? content_ : std::string_view(name);
    if (auto it = templates_.find(target); it != templates_.end()) render(it->second->nodes);
  }

  const std::map<std::string, std::unique_ptr<CompiledTemplates::Template>, std::less<>>& templates_;
  std::string_view content_;
  std::string& out_;
  std::vector<const mstch::node*> stack_;
};

}  // namespace

CompiledTemplates::CompiledTemplates(std::span<const EmbeddedTemplate> templates) {
  for (const auto& t : templates) {
    auto tokens = tokenize(t.name, t.text);
    strip_standalone_lines(t.name, tokens);
    auto compiled = std::make_unique<Template>();
    compiled->nodes = build(t.name, tokens);
    templates_.insert_or_assign(std::string(t.name), std::move(compiled));
  }
}

CompiledTemplates::~CompiledTemplates() = default;

bool CompiledTemplates::has(std::string_view name) const { return templates_.find(name) != templates_.end(); }

std::string CompiledTemplates::render(std::string_view name, std::initializer_list<const mstch::node*> roots,
                                     std::string_view content) const {
  auto it = templates_.find(name);
  if (it == templates_.end()) throw std::out_of_range("no template " + std::string(name));
  std::string out;
  out.reserve(16 * 1024);
  Renderer r(templates_, content, out);
  for (const mstch::node* root : roots) r.push(*root);
  r.render(it->second->nodes);
  return out;
}

}  // namespace madoguchi::portal::detail
