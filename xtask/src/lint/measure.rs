//! Measures one parsed file: code lines of the module and of every function body.
//!
//! Parsing uses `syn` (full AST), so only real items count as functions: a `fn` written inside
//! a macro invocation (`proptest! {}`, `tokio::select! {}`) is opaque tokens that count toward
//! the enclosing function or module, never a function of its own.

use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Block, Ident, ImplItem, Item, Meta, TraitItem, Type};

use super::lexer;

/// What the lint measured in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeasure {
    /// Code lines of the file outside `#[cfg(test)]` items.
    pub module_lines: usize,
    /// Every function that has a body, in source order.
    pub fns: Vec<FnMeasure>,
    /// Every out-of-line `mod name;` declaration, in source order.
    pub mods: Vec<ModDecl>,
}

/// An out-of-line module declaration (`mod name;`), used to find test-only files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModDecl {
    /// The declared module's name.
    pub name: String,
    /// Names of the inline modules around the declaration, outermost first.
    pub inline: Vec<String>,
    /// The value of a `#[path = "..."]` attribute, if any.
    pub path_attr: Option<String>,
    /// Whether the declaration is `#[cfg(test)]` or inside a `#[cfg(test)]` item.
    pub is_test: bool,
}

/// The size of one function body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnMeasure {
    /// Path inside the file: inline modules, impl type or trait, enclosing fns, then the name.
    pub name: String,
    /// Line (1-based) of the function's name.
    pub line: usize,
    /// Code lines strictly between the lines of the body's `{` and `}`.
    pub lines: usize,
    /// Whether the test limit applies by itself: a test attribute or a `#[cfg(test)]` item.
    /// (Functions in test files get the test limit too; see `check`.)
    pub is_test: bool,
}

/// Parses `src` and measures it.
pub fn measure(src: &str) -> syn::Result<FileMeasure> {
    let file = syn::parse_file(src)?;
    let code = lexer::code_lines(src);
    let mut measurer = Measurer {
        excluded: vec![false; code.len()],
        code,
        scope: Vec::new(),
        inline: Vec::new(),
        in_test: false,
        fns: Vec::new(),
        mods: Vec::new(),
    };
    measurer.visit_file(&file);
    let module_lines = (measurer.code.iter().zip(&measurer.excluded))
        .filter(|&(&code, &excluded)| code && !excluded)
        .count();
    let Measurer { fns, mods, .. } = measurer;
    Ok(FileMeasure { module_lines, fns, mods })
}

/// The syn visitor; `scope` names the items enclosing the current position, `inline` only
/// the inline modules among them.
struct Measurer {
    code: Vec<bool>,
    excluded: Vec<bool>,
    scope: Vec<String>,
    inline: Vec<String>,
    in_test: bool,
    fns: Vec<FnMeasure>,
    mods: Vec<ModDecl>,
}

impl Measurer {
    /// Measures one fn body, then visits inside it with the fn's name in scope.
    fn function(&mut self, attrs: &[Attribute], ident: &Ident, block: Option<&Block>) {
        let outer_test = self.in_test;
        self.in_test |= attrs.iter().any(is_test_attr);
        self.scope.push(ident.to_string());
        if let Some(block) = block {
            let open = block.brace_token.span.open().start().line;
            let close = block.brace_token.span.close().start().line;
            self.fns.push(FnMeasure {
                name: self.scope.join("::"),
                line: ident.span().start().line,
                lines: (open + 1..close).filter(|&line| self.is_code(line)).count(),
                is_test: self.in_test,
            });
            self.visit_block(block);
        }
        self.scope.pop();
        self.in_test = outer_test;
    }

    fn is_code(&self, line: usize) -> bool {
        line.checked_sub(1).and_then(|idx| self.code.get(idx)) == Some(&true)
    }

    /// Runs `visit` inside a named scope (inline module, impl or trait).
    fn scoped(&mut self, name: String, visit: impl FnOnce(&mut Self)) {
        self.scope.push(name);
        visit(self);
        self.scope.pop();
    }

    /// Runs `visit` for an item; a `#[cfg(test)]` item is excluded and makes its fns tests.
    fn item(&mut self, attrs: &[Attribute], span: Span, visit: impl FnOnce(&mut Self)) {
        if !is_cfg_test(attrs) {
            return visit(self);
        }
        for line in span.start().line..=span.end().line {
            if let Some(slot) = line.checked_sub(1).and_then(|idx| self.excluded.get_mut(idx)) {
                *slot = true;
            }
        }
        let outer_test = std::mem::replace(&mut self.in_test, true);
        visit(self);
        self.in_test = outer_test;
    }
}

impl<'ast> Visit<'ast> for Measurer {
    fn visit_item(&mut self, item: &'ast Item) {
        self.item(item_attrs(item), item.span(), |this| visit::visit_item(this, item));
    }

    fn visit_impl_item(&mut self, item: &'ast ImplItem) {
        let attrs = match item {
            ImplItem::Const(it) => &it.attrs,
            ImplItem::Fn(it) => &it.attrs,
            ImplItem::Type(it) => &it.attrs,
            ImplItem::Macro(it) => &it.attrs,
            _ => return visit::visit_impl_item(self, item),
        };
        self.item(attrs, item.span(), |this| visit::visit_impl_item(this, item));
    }

    fn visit_trait_item(&mut self, item: &'ast TraitItem) {
        let attrs = match item {
            TraitItem::Const(it) => &it.attrs,
            TraitItem::Fn(it) => &it.attrs,
            TraitItem::Type(it) => &it.attrs,
            TraitItem::Macro(it) => &it.attrs,
            _ => return visit::visit_trait_item(self, item),
        };
        self.item(attrs, item.span(), |this| visit::visit_trait_item(this, item));
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(&item.attrs, &item.sig.ident, Some(&item.block));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function(&item.attrs, &item.sig.ident, Some(&item.block));
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        self.function(&item.attrs, &item.sig.ident, item.default.as_ref());
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let name = item.ident.to_string();
        if item.content.is_none() {
            self.mods.push(ModDecl {
                name,
                inline: self.inline.clone(),
                path_attr: path_attr(&item.attrs),
                is_test: self.in_test,
            });
            return;
        }
        self.inline.push(name.clone());
        self.scoped(name, |this| visit::visit_item_mod(this, item));
        self.inline.pop();
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let name = type_name(&item.self_ty);
        self.scoped(name, |this| visit::visit_item_impl(this, item));
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.scoped(item.ident.to_string(), |this| visit::visit_item_trait(this, item));
    }
}

/// The attributes of any item kind that can carry them.
fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(it) => &it.attrs,
        Item::Enum(it) => &it.attrs,
        Item::ExternCrate(it) => &it.attrs,
        Item::Fn(it) => &it.attrs,
        Item::ForeignMod(it) => &it.attrs,
        Item::Impl(it) => &it.attrs,
        Item::Macro(it) => &it.attrs,
        Item::Mod(it) => &it.attrs,
        Item::Static(it) => &it.attrs,
        Item::Struct(it) => &it.attrs,
        Item::Trait(it) => &it.attrs,
        Item::TraitAlias(it) => &it.attrs,
        Item::Type(it) => &it.attrs,
        Item::Union(it) => &it.attrs,
        Item::Use(it) => &it.attrs,
        _ => &[],
    }
}

/// The last path segment of an impl's self type (`Machine` for `impl<T> a::Machine<T>`).
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|seg| seg.ident.to_string()),
        Type::Reference(reference) => Some(type_name(&reference.elem)),
        _ => None,
    }
    .unwrap_or_else(|| "<impl>".to_owned())
}

/// The string of a `#[path = "..."]` attribute.
fn path_attr(attrs: &[Attribute]) -> Option<String> {
    let attr = attrs.iter().find(|attr| attr.path().is_ident("path"))?;
    match &attr.meta {
        Meta::NameValue(syn::MetaNameValue {
            value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }),
            ..
        }) => Some(lit.value()),
        _ => None,
    }
}

/// `#[test]`, `#[tokio::test]`, `#[tokio::test(start_paused = true)]` and the like.
fn is_test_attr(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|seg| seg.ident == "test")
}

/// `#[cfg(test)]` or `#[cfg(all(test, ...))]`: the item only exists in test builds.
fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && attr.parse_args::<Meta>().is_ok_and(|m| requires_test(&m))
    })
}

fn requires_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => path.is_ident("test"),
        Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(Punctuated::<Meta, syn::Token![,]>::parse_terminated)
            .is_ok_and(|items| items.iter().any(requires_test)),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
